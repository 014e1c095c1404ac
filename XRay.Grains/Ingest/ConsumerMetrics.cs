using System.Diagnostics.Metrics;
using XRay.Grains.Storage;

namespace XRay.Grains.Ingest;

/// <summary>
/// The silo side of ingest as metrics (meter <see cref="MeterName"/>, docs/metrics.md): events the consumer applied,
/// the records whose offsets it committed, how far it is behind the log, and the store transactions that applied them.
/// Recorded once per batch, commit or transaction, never per event; no tag names a project, trace or key.
/// </summary>
public sealed class ConsumerMetrics
{
    /// <summary>The meter every instrument of this class belongs to.</summary>
    public const string MeterName = "XRay.Grains";

    private static readonly KeyValuePair<string, object?> StepRows = new("kind", "step");
    private static readonly KeyValuePair<string, object?> DataRows = new("kind", "data");

    private readonly Counter<long> _eventsApplied;
    private readonly Counter<long> _recordsCommitted;
    private readonly Histogram<double> _writeDuration;
    private readonly Counter<long> _rowsInserted;

    public ConsumerMetrics(IMeterFactory meters, IIngestLog log, IngestProgress progress)
    {
        var meter = meters.Create(MeterName);
        _eventsApplied = meter.CreateCounter<long>("xray.ingest.consumer.events", "{event}",
            "Events the ingest consumer applied to the store (redelivered ones count again).");
        _recordsCommitted = meter.CreateCounter<long>("xray.ingest.consumer.committed", "{record}",
            "Log records whose offsets the ingest consumer committed: a restart resumes after them.");
        // The backlog admission control reads (IngestBackpressure): acknowledged but not yet applied, over all partitions.
        meter.CreateObservableGauge("xray.ingest.consumer.lag", () => progress.Backlog(EndOffsets(log)), "{record}",
            "Records appended to the ingest log but not yet applied by this process's consumer.");
        _writeDuration = meter.CreateHistogram("xray.store.write.duration", "s",
            "Duration of one store write transaction (a group of trace grains' writes).", advice: SecondsBuckets);
        _rowsInserted = meter.CreateCounter<long>("xray.store.rows.inserted", "{row}",
            "Rows the store newly inserted (steps and data; existing ids ignored), by kind.");

        // Every series starts at 0 on the first scrape, as GatewayMetrics' do.
        _eventsApplied.Add(0);
        _recordsCommitted.Add(0);
        _rowsInserted.Add(0, StepRows);
        _rowsInserted.Add(0, DataRows);
    }

    /// <summary>Bucket boundaries for durations from sub-millisecond fsyncs to multi-second stalls.</summary>
    public static readonly InstrumentAdvice<double> SecondsBuckets = new()
    {
        HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    };

    /// <summary>A consumer batch of <paramref name="events"/> events was applied.</summary>
    public void Applied(int events) => _eventsApplied.Add(events);

    /// <summary>The consumer committed the offsets of <paramref name="records"/> more records (after the store made them durable).</summary>
    public void Committed(long records) => _recordsCommitted.Add(records);

    /// <summary>A store transaction took <paramref name="duration"/> and newly inserted <paramref name="inserted"/>.</summary>
    public void Written(TimeSpan duration, TraceWriteCounts inserted)
    {
        _writeDuration.Record(duration.TotalSeconds);
        if (inserted.Steps > 0)
        {
            _rowsInserted.Add(inserted.Steps, StepRows);
        }

        if (inserted.Data > 0)
        {
            _rowsInserted.Add(inserted.Data, DataRows);
        }
    }

    /// <summary>
    /// The log's end offsets now; the embedded log answers at once, Kafka from its cache or, when that is older than
    /// <c>EndOffsetsRefresh</c> (likely between scrapes), after one query of the brokers.
    /// </summary>
    private static IReadOnlyList<long> EndOffsets(IIngestLog log)
    {
        var ends = log.GetEndOffsetsAsync();
        return ends.IsCompletedSuccessfully ? ends.Result : ends.AsTask().GetAwaiter().GetResult();
    }
}
