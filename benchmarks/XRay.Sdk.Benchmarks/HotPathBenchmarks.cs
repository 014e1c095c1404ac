using System.Diagnostics;
using System.Net;
using BenchmarkDotNet.Attributes;
using OpenTelemetry;
using OpenTelemetry.Trace;
using XRay.Sdk;

namespace XRay.Sdk.Benchmarks;

/// <summary>
/// The cost on the caller's thread of recording one pipeline step: an X-Ray <c>Step()</c> next to an
/// OpenTelemetry span (ActivitySource + BatchActivityExportProcessor + an exporter that does nothing).
/// Both record a name, a kind and an input object; both ship in the background to a sink that does nothing
/// (X-Ray's HTTP handler answers 202 at once), so only the hot path differs.
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private readonly ActivitySource _source = new("XRay.Benchmarks");
    private readonly object _input = new { query = "laptop stand", limit = 50 };
    private TracerProvider _otel = null!;
    private XRayTracer _xray = null!;
    private Trace _trace = null!;

    [GlobalSetup]
    public void Setup()
    {
        _otel = OpenTelemetry.Sdk.CreateTracerProviderBuilder()
            .AddSource(_source.Name)
            .SetSampler(new AlwaysOnSampler())
            .AddProcessor(new BatchActivityExportProcessor(new NoopExporter()))
            .Build()!;

        var options = new XRayOptions
        {
            ApiKey = "xray_bench",
            ProjectId = "0123456789abcdef01234567",
            TempDir = Directory.CreateTempSubdirectory("xray-bench-").FullName,
        };
        _xray = new XRayTracer(options, null, TimeProvider.System, new AcceptEverything());
        _trace = _xray.CreateTrace("benchmark");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
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
        using var step = _trace.BeginStep("filter", kind: "filter", input: _input);
        step.Output = _input;
    }

    private sealed class NoopExporter : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch) => ExportResult.Success;
    }

    // The X-Ray counterpart of the no-op exporter: the gateway accepts every batch and blob at once.
    private sealed class AcceptEverything : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.Accepted) { Content = new StringContent("""{"accepted":0,"rejected":[]}""") });
    }
}
