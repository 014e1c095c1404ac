using Microsoft.Extensions.Logging;
using XRay.Sdk.Storage;
using XRay.Sdk.Tests.Fakes;

namespace XRay.Sdk.Tests.Http;

/// <summary>
/// The spool is opened in the background: a slow or hung disk (or a directory of thousands of entries to scan) never holds
/// the thread that creates the tracer, records, reads the stats, flushes or disposes. A <see cref="SpoolGate"/> stands in
/// for the disk: the real open runs only once the test releases it.
/// </summary>
public sealed class SpoolOpeningTests : GatewayBehindProxy
{
    /// <summary>Far longer than anything here takes, unless something waits for the held-back spool.</summary>
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task The_tracer_records_while_its_spool_is_still_opening_and_sends_what_it_recorded_once_it_opens()
    {
        var options = TestTracers.Options(Gateway.BaseAddress);
        options.Debug = true; // the Started line is debug-level
        var logs = new LogRecorder();
        using var gate = new SpoolGate();
        var tracer = await Task.Run(() => new XRayTracer(options, logs, TimeProvider.System, handler: null, gate.Open))
            .WaitAsync(Generous, TestContext.Current.CancellationToken);
        await using (tracer)
        {
            Assert.True(gate.WaitEntered(), "the spool began opening");
            var trace = tracer.CreateTrace("run");
            trace.Step("a", input: new { n = 1 });
            var blob = trace.DataId(new { candidates = new[] { 1, 2 } });
            trace.Success();

            var stats = tracer.Stats;
            Assert.Equal(0, stats.SpoolBytes);
            Assert.False(stats.SpoolIsDisk);
            Assert.False(await tracer.FlushAsync(TimeSpan.FromMilliseconds(200)).WaitAsync(Generous, TestContext.Current.CancellationToken));
            Assert.Empty(Gateway.Events);
            Assert.DoesNotContain(logs.Entries, e => e.EventName == "Started");

            gate.Release(); // the disk answers

            Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(3, Gateway.Events.Count);
            Assert.True(Gateway.Blobs.ContainsKey(blob.ToString()));
            Assert.True(tracer.Stats.SpoolIsDisk);
            Assert.Equal(0, tracer.Stats.EventsDropped);
            Assert.Contains(logs.Entries, e => e.EventName == "Started" && e.Message.Contains("spool disk", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Dispose_returns_within_its_budget_while_the_spool_never_opens_and_what_was_recorded_is_spooled_once_it_does()
    {
        var tempDir = TestTracers.NewTempDir();
        var options = TestTracers.Options(Gateway.BaseAddress, tempDir);
        options.ShutdownTimeout = TimeSpan.FromSeconds(1);
        var logs = new LogRecorder();
        using var gate = new SpoolGate();
        var tracer = await Task.Run(() => new XRayTracer(options, logs, TimeProvider.System, handler: null, gate.Open))
            .WaitAsync(Generous, TestContext.Current.CancellationToken);
        var trace = tracer.CreateTrace("run");
        trace.Step("a");
        var blob = trace.DataText("notes");
        trace.Success();
        Assert.True(gate.WaitEntered(), "the spool began opening");

        // the disk hangs past the 1 s budget: the dispose must not wait for it
        await tracer.DisposeAsync().AsTask().WaitAsync(Generous, TestContext.Current.CancellationToken);

        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.EventName == "ShutdownGaveUp" && e.Message.Contains("the spool", StringComparison.Ordinal));
        Assert.False(await tracer.FlushAsync());
        Assert.Empty(Gateway.Events);

        // the disk answers after the tracer stopped: what was recorded is spooled there for the next process, as what a
        // stuck worker finishes after a stop is, neither sent nor dropped
        gate.Release();
        await Wait.UntilAsync(() => tracer.Stats.EventsSpooled == 3 && Directory.GetFiles(tempDir, $"*.{SpoolKey.BlobPrefix}*.xr").Length == 1, "what was recorded spooled once the spool opened");
        Assert.Equal(0, tracer.Stats.EventsDropped);
        Assert.Equal(0, tracer.Stats.BlobsDropped);
        Assert.Empty(Gateway.Events);

        await using (var next = new XRayTracer(TestTracers.Options(Gateway.BaseAddress, tempDir)))
        {
            Assert.True(await next.FlushAsync(TimeSpan.FromSeconds(30)));
        }

        Assert.Equal(3, Gateway.Events.Count);
        Assert.Equal("notes"u8.ToArray(), Gateway.Blobs[blob.ToString()]);
    }

    /// <summary>A disk that does not answer: the real open runs once the test releases it (at the latest when it ends).</summary>
    private sealed class SpoolGate : IDisposable
    {
        private readonly ManualResetEventSlim _entered = new();
        private readonly ManualResetEventSlim _released = new();

        public IStorageAdapter Open(XRayOptions options, Action<string> evicted, ILogger logger)
        {
            _entered.Set();
            _released.Wait();
            return StorageFactory.Open(options, evicted, logger);
        }

        public bool WaitEntered() => _entered.Wait(Generous);

        public void Release() => _released.Set();

        public void Dispose() => Release(); // the events stay undisposed: the open may still be reading them
    }
}
