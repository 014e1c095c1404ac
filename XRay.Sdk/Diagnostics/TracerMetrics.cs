using System.Diagnostics.Metrics;
using XRay.Sdk.Processing;

namespace XRay.Sdk.Diagnostics;

/// <summary>
/// Publishes a tracer's counters as .NET metrics on a meter named <see cref="XRayTracer.MeterName"/>, so OpenTelemetry
/// or <c>dotnet-counters</c> pick them up. Every instrument is observable: it reads the tracer's existing counters only
/// when a listener collects, so recording pays nothing more. Each tracer has its own meter, disposed with it; its
/// measurements carry the project id and the tracer's instance number (<see cref="InstanceNumbers"/>), so that several
/// tracers in one process each report their own series.
/// </summary>
internal sealed class TracerMetrics : IDisposable
{
    private readonly KeyValuePair<string, object?>[] _tags;
    private readonly int _instance;

    public TracerMetrics(string projectId, Counters counters, EventPipeline pipeline)
    {
        _instance = InstanceNumbers.Shared.Acquire();
        _tags = [new("xray.project.id", projectId), new("xray.tracer.instance", _instance)];
        Meter = new Meter(XRayTracer.MeterName, typeof(XRayTracer).Assembly.GetName().Version?.ToString(3));

        Counter("xray.sdk.events.recorded", "{event}", "Events handed to the tracer.", () => counters.Recorded);
        Counter("xray.sdk.events.spooled", "{event}", "Events written to the spool on their way to the gateway.", () => counters.Spooled);
        Counter("xray.sdk.events.sent", "{event}", "Events the gateway accepted.", () => counters.Sent);
        Counter("xray.sdk.events.dropped", "{event}", "Events lost: queue full, not serializable, too large, refused, evicted, or given up.", () => counters.Dropped);
        Counter("xray.sdk.blobs.sent", "{blob}", "Data blobs uploaded.", () => counters.BlobsSent);
        Counter("xray.sdk.blobs.dropped", "{blob}", "Data blobs lost, for the same reasons as events.", () => counters.BlobsDropped);
        Counter("xray.sdk.retries", "{retry}", "HTTP attempts that failed and were retried.", () => counters.Retries);

        // sizes that go up and down and add up across tracers: up-down counters, as the runtime's own size metrics
        UpDown("xray.sdk.queue.size", "{item}", "Events and data blobs waiting for a worker or being serialized.", () => pipeline.Queued);
        UpDown("xray.sdk.spool.entries", "{entry}", "Batches and data blobs in the spool, waiting to be sent.", () => pipeline.SpoolEntries);
        UpDown("xray.sdk.spool.size", "By", "Bytes in the spool.", () => pipeline.Storage.Size);
    }

    /// <summary>The tracer's meter; for tests, which listen to this tracer's instruments alone.</summary>
    public Meter Meter { get; }

    public void Dispose()
    {
        Meter.Dispose();
        InstanceNumbers.Shared.Release(_instance);
    }

    private void Counter(string name, string unit, string description, Func<long> read) =>
        Meter.CreateObservableCounter(name, () => new Measurement<long>(read(), _tags), unit, description);

    private void UpDown(string name, string unit, string description, Func<long> read) =>
        Meter.CreateObservableUpDownCounter(name, () => new Measurement<long>(read(), _tags), unit, description);
}
