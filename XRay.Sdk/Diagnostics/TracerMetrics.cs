using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using XRay.Sdk.Processing;

namespace XRay.Sdk.Diagnostics;

/// <summary>
/// Publishes the tracers' counters as .NET metrics on one process-wide meter named <see cref="XRayTracer.MeterName"/>,
/// so OpenTelemetry or <c>dotnet-counters</c> pick them up. Every instrument is observable: it reads the live tracers'
/// existing counters only when a listener collects, so recording pays nothing more. Each live tracer reports its own
/// series, tagged with its project id and instance number (<see cref="InstanceNumbers"/>); a disposed tracer's series
/// simply stops. One meter for all tracers, not one each: OpenTelemetry merges same-named instruments of same-named
/// meters into one stream, and disposing one tracer's meter would end the others' series too.
/// </summary>
internal sealed class TracerMetrics : IDisposable
{
    private static readonly ConcurrentDictionary<TracerMetrics, byte> Live = new();

    private readonly Counters _counters;
    private readonly EventPipeline _pipeline;
    private readonly KeyValuePair<string, object?>[] _tags;
    private int _disposed;

    public TracerMetrics(string projectId, Counters counters, EventPipeline pipeline)
    {
        _counters = counters;
        _pipeline = pipeline;
        Instance = InstanceNumbers.Shared.Acquire();
        _tags = [new("xray.project.id", projectId), new("xray.tracer.instance", Instance)];
        Live.TryAdd(this, 0);
    }

    /// <summary>The process-wide meter every tracer reports on.</summary>
    public static Meter Meter { get; } = CreateMeter();

    /// <summary>This tracer's number, the <c>xray.tracer.instance</c> tag of its series.</summary>
    public int Instance { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Live.TryRemove(this, out _);
            InstanceNumbers.Shared.Release(Instance);
        }
    }

    private static Meter CreateMeter()
    {
        var meter = new Meter(XRayTracer.MeterName, typeof(XRayTracer).Assembly.GetName().Version?.ToString(3));
        Counter(meter, "xray.sdk.events.recorded", "{event}", "Events handed to the tracer.", t => t._counters.Recorded);
        Counter(meter, "xray.sdk.events.spooled", "{event}", "Events written to the spool on their way to the gateway.", t => t._counters.Spooled);
        Counter(meter, "xray.sdk.events.sent", "{event}", "Events the gateway accepted.", t => t._counters.Sent);
        Counter(meter, "xray.sdk.events.dropped", "{event}", "Events lost: queue full, not serializable, too large, refused, evicted, or given up.", t => t._counters.Dropped);
        Counter(meter, "xray.sdk.blobs.sent", "{blob}", "Data blobs uploaded.", t => t._counters.BlobsSent);
        Counter(meter, "xray.sdk.blobs.dropped", "{blob}", "Data blobs lost, for the same reasons as events.", t => t._counters.BlobsDropped);
        Counter(meter, "xray.sdk.retries", "{retry}", "HTTP attempts that failed and were retried.", t => t._counters.Retries);

        // sizes that go up and down and add up across tracers: up-down counters, as the runtime's own size metrics
        meter.CreateObservableUpDownCounter("xray.sdk.queue.size", () => Measure(t => t._pipeline.Queued), "{item}", "Events and data blobs waiting for a worker or being serialized.");
        meter.CreateObservableUpDownCounter("xray.sdk.spool.entries", () => Measure(t => t._pipeline.SpoolEntries), "{entry}", "Batches and data blobs in the spool, waiting to be sent.");
        meter.CreateObservableUpDownCounter("xray.sdk.spool.size", () => Measure(t => t._pipeline.SpoolBytes), "By", "Bytes in the spool.");
        return meter;
    }

    private static void Counter(Meter meter, string name, string unit, string description, Func<TracerMetrics, long> read) =>
        meter.CreateObservableCounter(name, () => Measure(read), unit, description);

    /// <summary>One measurement per live tracer.</summary>
    private static List<Measurement<long>> Measure(Func<TracerMetrics, long> read)
    {
        var measurements = new List<Measurement<long>>();
        foreach (var tracer in Live.Keys)
        {
            measurements.Add(new Measurement<long>(read(tracer), tracer._tags));
        }

        return measurements;
    }
}
