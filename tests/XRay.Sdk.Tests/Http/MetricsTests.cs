using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using XRay.Sdk.Diagnostics;
using XRay.Sdk.Tests.Fakes;

namespace XRay.Sdk.Tests.Http;

/// <summary>
/// The tracer's counters as .NET metrics on the <see cref="XRayTracer.MeterName"/> meter: what a listener collects is
/// what <see cref="XRayTracer.Stats"/> says, per tracer. Run alone: a tracer's instance number is reused once it is
/// disposed, so a tracer another test creates meanwhile could report under the number these tests expect to end.
/// </summary>
[Collection(nameof(MetricsTests))]
public sealed class MetricsTests : IAsyncLifetime
{
    private static readonly string[] Instruments =
    [
        "xray.sdk.events.recorded", "xray.sdk.events.spooled", "xray.sdk.events.sent", "xray.sdk.events.dropped",
        "xray.sdk.blobs.sent", "xray.sdk.blobs.dropped", "xray.sdk.retries",
        "xray.sdk.queue.size", "xray.sdk.spool.entries", "xray.sdk.spool.size",
    ];

    private FakeGateway _gateway = null!;

    public async ValueTask InitializeAsync() => _gateway = await FakeGateway.StartAsync();

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    private static void Record(XRayTracer tracer, int steps)
    {
        var trace = tracer.CreateTrace("run");
        for (var s = 1; s <= steps; s++)
        {
            trace.Step(s == 2 ? "reject-me" : $"step-{s}"); // one rejected by the gateway: a drop
        }

        trace.DataId(new { candidates = new[] { 1, 2, 3 } });
        trace.Success();
    }

    [Fact]
    public async Task What_a_listener_collects_is_the_tracer_s_own_stats()
    {
        await using var tracer = new XRayTracer(TestTracers.Options(_gateway.BaseAddress));
        Record(tracer, steps: 5);
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        using var listener = new TracerListener(tracer);
        listener.Collect();

        var stats = tracer.Stats;
        Assert.Equal(7, stats.EventsRecorded);
        Assert.Equal(1, stats.EventsDropped);
        Assert.Equal(Instruments.Order(), listener.Values.Keys.Order());
        Assert.Equal(stats.EventsRecorded, listener.Values["xray.sdk.events.recorded"]);
        Assert.Equal(stats.EventsSpooled, listener.Values["xray.sdk.events.spooled"]);
        Assert.Equal(stats.EventsSent, listener.Values["xray.sdk.events.sent"]);
        Assert.Equal(stats.EventsDropped, listener.Values["xray.sdk.events.dropped"]);
        Assert.Equal(stats.BlobsSent, listener.Values["xray.sdk.blobs.sent"]);
        Assert.Equal(stats.BlobsDropped, listener.Values["xray.sdk.blobs.dropped"]);
        Assert.Equal(stats.Retries, listener.Values["xray.sdk.retries"]);
        Assert.Equal(stats.SpoolBytes, listener.Values["xray.sdk.spool.size"]);
        Assert.Equal(0, listener.Values["xray.sdk.spool.entries"]);
        Assert.Equal(0, listener.Values["xray.sdk.queue.size"]);
        Assert.All(listener.Tags.Values, tags => Assert.Equal(FakeGateway.ProjectId, tags["xray.project.id"]));
        Assert.Equal(XRayTracer.MeterName, TracerMetrics.Meter.Name);
    }

    /// <summary>Different counts in each tracer, so their series cannot be mistaken for each other; both delivered.</summary>
    private static async Task RecordDifferentlyAndFlushAsync(XRayTracer first, XRayTracer second)
    {
        Record(first, steps: 3);
        Record(second, steps: 8);
        Assert.True(await first.FlushAsync(TimeSpan.FromSeconds(30)));
        Assert.True(await second.FlushAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Several_tracers_each_report_under_their_own_instance_and_a_disposed_one_stops()
    {
        var first = new XRayTracer(TestTracers.Options(_gateway.BaseAddress));
        await using var second = new XRayTracer(TestTracers.Options(_gateway.BaseAddress));
        await RecordDifferentlyAndFlushAsync(first, second);

        using var firstListener = new TracerListener(first);
        using var secondListener = new TracerListener(second);
        firstListener.Collect();
        secondListener.Collect();

        Assert.Equal(first.Stats.EventsSent, firstListener.Values["xray.sdk.events.sent"]);
        Assert.Equal(second.Stats.EventsSent, secondListener.Values["xray.sdk.events.sent"]);
        Assert.NotEqual(firstListener.Values["xray.sdk.events.sent"], secondListener.Values["xray.sdk.events.sent"]);
        Assert.NotEqual(firstListener.Tags["xray.sdk.events.sent"]["xray.tracer.instance"], secondListener.Tags["xray.sdk.events.sent"]["xray.tracer.instance"]);

        await first.DisposeAsync();
        firstListener.Collect();
        secondListener.Collect();

        Assert.Empty(firstListener.Values); // the disposed tracer's series end ...
        Assert.Equal(second.Stats.EventsSent, secondListener.Values["xray.sdk.events.sent"]); // ... the others' go on
        Assert.Equal(Instruments.Order(), secondListener.Values.Keys.Order());
    }

    [Fact]
    public async Task Under_OpenTelemetry_a_disposed_tracer_s_series_end_and_the_others_go_on()
    {
        // OpenTelemetry merges same-named instruments of same-named meters into one stream: a meter per tracer, disposed
        // with it, ended every tracer's series. What an application's own meter provider exports is what counts.
        var exported = new List<MetricSnapshot>();
        using var provider = OpenTelemetry.Sdk.CreateMeterProviderBuilder().AddMeter(XRayTracer.MeterName).AddInMemoryExporter(exported).Build();
        var first = new XRayTracer(TestTracers.Options(_gateway.BaseAddress));
        await using var second = new XRayTracer(TestTracers.Options(_gateway.BaseAddress));
        await RecordDifferentlyAndFlushAsync(first, second);
        var firstInstance = first.Metrics!.Instance;
        var secondInstance = second.Metrics!.Instance;

        var both = Collect(provider, exported);
        Assert.Equal(first.Stats.EventsSent, both[firstInstance]);
        Assert.Equal(second.Stats.EventsSent, both[secondInstance]);

        await first.DisposeAsync();
        Collect(provider, exported);
        var after = Collect(provider, exported); // a second collection too: a finished stream is dropped at the one after
        Assert.False(after.ContainsKey(firstInstance));
        Assert.Equal(second.Stats.EventsSent, after[secondInstance]);
    }

    /// <summary>One collection: <c>xray.sdk.events.sent</c> by tracer instance.</summary>
    private static Dictionary<int, long> Collect(MeterProvider provider, List<MetricSnapshot> exported)
    {
        exported.Clear();
        Assert.True(provider.ForceFlush());
        var sent = new Dictionary<int, long>();
        foreach (var metric in exported.Where(m => m.Name == "xray.sdk.events.sent"))
        {
            foreach (var point in metric.MetricPoints)
            {
                foreach (var tag in point.Tags)
                {
                    if (tag is { Key: "xray.tracer.instance", Value: int instance })
                    {
                        sent[instance] = point.GetSumLong();
                    }
                }
            }
        }

        return sent;
    }

    [Fact]
    public void Instance_numbers_are_the_lowest_free_and_are_reused()
    {
        var numbers = new InstanceNumbers();
        Assert.Equal([1, 2, 3], new[] { numbers.Acquire(), numbers.Acquire(), numbers.Acquire() });
        numbers.Release(2);
        numbers.Release(1);
        Assert.Equal(1, numbers.Acquire());
        Assert.Equal(2, numbers.Acquire());
        Assert.Equal(4, numbers.Acquire());
    }

    [Fact]
    public async Task A_disabled_tracer_publishes_no_meter()
    {
        await using var tracer = new XRayTracer(new XRayOptions { Enabled = false });
        Assert.Null(tracer.Metrics);
    }

    /// <summary>
    /// Collects one tracer's series from the process-wide meter (tests run side by side, each with tracers of its own,
    /// so it keeps only measurements tagged with this tracer's instance).
    /// </summary>
    private sealed class TracerListener : IDisposable
    {
        private readonly MeterListener _listener = new();

        public TracerListener(XRayTracer tracer)
        {
            var instance = tracer.Metrics!.Instance;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, TracerMetrics.Meter))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                var tagged = tags.ToArray().ToDictionary(t => t.Key, t => t.Value);
                if (tagged.TryGetValue("xray.tracer.instance", out var number) && Equals(number, instance))
                {
                    Values[instrument.Name] = value;
                    Tags[instrument.Name] = tagged;
                }
            });
            _listener.Start();
        }

        public ConcurrentDictionary<string, long> Values { get; } = new();

        public ConcurrentDictionary<string, Dictionary<string, object?>> Tags { get; } = new();

        /// <summary>Reads every instrument now, forgetting what an earlier reading saw.</summary>
        public void Collect()
        {
            Values.Clear();
            Tags.Clear();
            _listener.RecordObservableInstruments();
        }

        public void Dispose() => _listener.Dispose();
    }
}

/// <summary>Tests that read the process-wide SDK meter: never beside other tracers.</summary>
[CollectionDefinition(nameof(MetricsTests), DisableParallelization = true)]
public sealed class MetricsTestsCollection;
