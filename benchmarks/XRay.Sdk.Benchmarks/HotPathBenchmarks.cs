using System.Diagnostics;
using System.Net;
using BenchmarkDotNet.Attributes;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace XRay.Sdk.Benchmarks;

/// <summary>
/// The cost on the caller's thread of recording one pipeline step: an X-Ray <c>Step()</c> (and a timed
/// <c>BeginStep()</c> scope) next to an OpenTelemetry span (ActivitySource + BatchActivityExportProcessor +
/// an exporter that does nothing). Both record a name, a kind and an input object and ship in the
/// background to a sink that does nothing (X-Ray's HTTP handler answers 202 at once).
/// </summary>
public abstract class HotPathBase
{
    private readonly ActivitySource _source = new("XRay.Benchmarks");
    private readonly object _input = new { query = "laptop stand", limit = 50 };
    private TracerProvider _otel = null!;
    private XRayTracer _xray = null!;
    private Trace _trace = null!;

    protected abstract int QueueSize { get; }

    [GlobalSetup]
    public void Setup()
    {
        _otel = OpenTelemetry.Sdk.CreateTracerProviderBuilder()
            .AddSource(_source.Name)
            .SetSampler(new AlwaysOnSampler())
            .AddProcessor(new BatchActivityExportProcessor(new NoopExporter(), maxQueueSize: QueueSize))
            .Build()!;

        var options = new XRayOptions
        {
            ApiKey = "xray_bench",
            ProjectId = "0123456789abcdef01234567",
            TempDir = Directory.CreateTempSubdirectory("xray-bench-").FullName,
            MaxQueueSize = QueueSize,
        };
        _xray = new XRayTracer(options, null, TimeProvider.System, new AcceptEverything());
        _trace = _xray.CreateTrace("benchmark");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// X-Ray stats: {_xray.Stats}");
        _otel.Dispose();
        _xray.Dispose();
        _source.Dispose();
    }

    [Benchmark(Baseline = true, Description = "OpenTelemetry span")]
    public void OpenTelemetrySpan()
    {
        using var activity = _source.StartActivity("filter");
        activity?.SetTag("kind", "filter");
        activity?.SetTag("input", _input);
    }

    [Benchmark(Description = "X-Ray Step()")]
    public void XRayStep() => _trace.Step("filter", kind: "filter", input: _input);

    [Benchmark(Description = "X-Ray using BeginStep()")]
    public void XRayStepScope()
    {
        // a timed scope with the same content as the span: name, kind, input
        using var step = _trace.BeginStep("filter", kind: "filter", input: _input);
    }

    /// <summary>Empties both SDKs' queues, so the next iteration records into room.</summary>
    protected void Drain()
    {
        _otel.ForceFlush();
        _xray.FlushAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
    }

    private sealed class NoopExporter : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch) => ExportResult.Success;
    }

    // The X-Ray counterpart of the no-op exporter: the gateway accepts every batch and blob at once.
    private sealed class AcceptEverything : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.Accepted) { Content = new StringContent("""{"rejected":[]}""") });
    }
}

/// <summary>
/// A tight loop with default queues: far more steps than any background can ship, so both SDKs spend most
/// calls on their full-queue path (drop and count). What a caller pays when recording faster than it can be sent.
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks : HotPathBase
{
    protected override int QueueSize => 8192;
}

/// <summary>
/// Every step accepted: queues large enough for one iteration, emptied between iterations, so each call
/// takes the path that records (the background keeps working during the iteration, as it would in a pipeline).
/// </summary>
[MemoryDiagnoser]
[InvocationCount(50_000)]
public class HotPathAcceptedBenchmarks : HotPathBase
{
    protected override int QueueSize => 1 << 18;

    [IterationSetup]
    public void EmptyQueues() => Drain();
}
