using Microsoft.Extensions.Logging;
using XRay.Sdk.Tests.Fakes;

namespace XRay.Sdk.Tests.Http;

/// <summary>
/// <c>DisposeAsync</c> and <c>FlushAsync</c> return within their budget whatever a worker or an uploader is doing,
/// and what a stuck worker finishes after the tracer stopped is still accounted for: spooled for the next process
/// when the spool is on disk, counted as dropped when it is in memory.
/// </summary>
public sealed class ShutdownTests : GatewayBehindProxy
{
    /// <summary>Far longer than any budget here: only the test's own release (or its end) unblocks a worker sooner.</summary>
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Dispose_returns_within_its_budget_while_a_worker_is_stuck_and_the_late_event_is_spooled_for_the_next_tracer()
    {
        var tempDir = TestTracers.NewTempDir();
        var options = TestTracers.Options(Gateway.BaseAddress, tempDir);
        options.ShutdownTimeout = TimeSpan.FromSeconds(1);
        var logs = new LogRecorder();
        var blocker = new Blocker();
        var tracer = new XRayTracer(options, logs);
        Trace trace;
        try
        {
            trace = tracer.CreateTrace("run");
            trace.Step("before");
            trace.Step("stuck", input: blocker);
            trace.Step("after");
            Assert.True(blocker.WaitEntered(), "a worker started serializing the blocking value");

            // the getter blocks for 60 s; the dispose has a 1 s budget and must not wait for it
            await tracer.DisposeAsync().AsTask().WaitAsync(Generous, TestContext.Current.CancellationToken);

            Assert.False(blocker.IsReleased());
            Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.EventName == "ShutdownGaveUp" && e.Message.Contains("worker", StringComparison.Ordinal));
        }
        finally
        {
            blocker.Release();
        }

        // the worker finishes the event after the tracer stopped: on disk, it is spooled for the next process
        await Wait.UntilAsync(() => tracer.Stats.EventsSpooled == 4, "the late event spooled");
        Assert.Equal(4, tracer.Stats.EventsRecorded);
        Assert.Equal(0, tracer.Stats.EventsDropped);
        Assert.DoesNotContain(Gateway.Events.Values, e => e.TryGetProperty("name", out var n) && n.GetString() == "stuck");

        // the first tracer stopped before the late event was spooled, so only the next one can send it
        await using (var next = new XRayTracer(TestTracers.Options(Gateway.BaseAddress, tempDir)))
        {
            Assert.True(await next.FlushAsync(TimeSpan.FromSeconds(30)));
            Assert.True(next.Stats.EventsSent >= 1, $"{next.Stats.EventsSent} sent by the next tracer");
        }

        var stuck = Assert.Single(Gateway.StepsOf(trace.TraceId), s => s.GetProperty("name").GetString() == "stuck");
        Assert.Equal("late", stuck.GetProperty("input").GetProperty("value").GetString());
        Assert.Equal(4, Gateway.Events.Count); // every event arrived, once
        Assert.Equal(0, tracer.Stats.EventsDropped);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task With_a_memory_spool_an_event_a_stuck_worker_finishes_after_dispose_is_counted_as_dropped()
    {
        var file = Path.Combine(TestTracers.NewTempDir(), "file");
        await File.WriteAllTextAsync(file, "x", TestContext.Current.CancellationToken);
        var options = TestTracers.Options(Gateway.BaseAddress, tempDir: Path.Combine(file, "spool")); // unwritable: memory spool
        options.ShutdownTimeout = TimeSpan.FromSeconds(1);
        var logs = new LogRecorder();
        var blocker = new Blocker();
        var tracer = new XRayTracer(options, logs);
        try
        {
            var trace = tracer.CreateTrace("run");
            trace.Step("stuck", input: blocker);
            trace.Step("after");
            Assert.True(blocker.WaitEntered(), "a worker started serializing the blocking value");

            await tracer.DisposeAsync().AsTask().WaitAsync(Generous, TestContext.Current.CancellationToken);

            Assert.False(blocker.IsReleased());
            Assert.False(tracer.Stats.SpoolIsDisk);
        }
        finally
        {
            blocker.Release();
        }

        // a memory spool is not sent by anyone once the tracer stopped: the late event is a counted drop
        await Wait.UntilAsync(() => tracer.Stats.EventsSent + tracer.Stats.EventsDropped == 3, "the late event counted");
        var stats = tracer.Stats;
        Assert.Equal(3, stats.EventsRecorded);
        Assert.True(stats.EventsDropped >= 1, $"{stats.EventsDropped} dropped");
        Assert.Equal(0, stats.SpoolBytes);
        Assert.DoesNotContain(Gateway.Events.Values, e => e.TryGetProperty("name", out var n) && n.GetString() == "stuck");
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task Flush_returns_false_within_its_timeout_while_a_worker_is_stuck()
    {
        var blocker = new Blocker();
        var tracer = new XRayTracer(TestTracers.Options(Gateway.BaseAddress));
        try
        {
            var trace = tracer.CreateTrace("run");
            trace.Step("stuck", input: blocker);
            Assert.True(blocker.WaitEntered(), "a worker started serializing the blocking value");

            var flushed = await tracer.FlushAsync(TimeSpan.FromSeconds(1)).WaitAsync(Generous, TestContext.Current.CancellationToken);

            Assert.False(flushed);
            Assert.False(blocker.IsReleased());
        }
        finally
        {
            blocker.Release();
        }

        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));
        await tracer.DisposeAsync();
        Assert.Equal(2, tracer.Stats.EventsSent);
    }

    [Fact]
    public async Task Dispose_returns_within_its_budget_while_the_gateway_hangs_and_the_attempt_ignores_cancellation()
    {
        var tempDir = TestTracers.NewTempDir();
        var options = TestTracers.Options(Proxy.BaseAddress, tempDir);
        options.RequestTimeout = TimeSpan.FromMinutes(5); // an attempt would outlive the budget
        options.ShutdownTimeout = TimeSpan.FromSeconds(1);
        Proxy.Inject(Fault.Hang);
        using var hang = new CancellationTokenSource();
        var handler = new IgnoresCancellation(hang.Token) { InnerHandler = new SocketsHttpHandler() };
        var logs = new LogRecorder();
        var tracer = new XRayTracer(options, logs, TimeProvider.System, handler);
        try
        {
            var trace = tracer.CreateTrace("run");
            trace.Step("a");
            await Wait.UntilAsync(() => Proxy.FaultedRequests > 0, "an ingest attempt hanging at the gateway");

            await tracer.DisposeAsync().AsTask().WaitAsync(Generous, TestContext.Current.CancellationToken);

            Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.EventName == "ShutdownGaveUp" && e.Message.Contains("event uploader", StringComparison.Ordinal));
        }
        finally
        {
            await hang.CancelAsync(); // the hanging attempt fails now, after the tracer stopped
        }

        await Wait.UntilAsync(() => handler.Ended > 0 && tracer.Stats.EventsSpooled == 2, "the hanging attempt ended");
        await Task.Delay(200, TestContext.Current.CancellationToken); // give the stopped uploader time to do something wrong
        var stats = tracer.Stats;
        Assert.Equal(2, stats.EventsRecorded);
        Assert.Equal(2, stats.EventsSpooled);
        Assert.Equal(0, stats.EventsSent);
        Assert.Equal(0, stats.EventsDropped);
        Assert.NotEmpty(Directory.GetFiles(tempDir, "*.xr")); // left for the next process
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
    }

    /// <summary>A value whose serialization blocks (a getter waiting on a lock, on I/O) until the test releases it, 60 s at most.</summary>
    private sealed class Blocker
    {
        private readonly ManualResetEventSlim _entered = new();
        private readonly ManualResetEventSlim _released = new();

        public string Value
        {
            get
            {
                _entered.Set();
                _released.Wait(TimeSpan.FromSeconds(60));
                return "late";
            }
        }

        public bool WaitEntered() => _entered.Wait(TimeSpan.FromSeconds(30));

        public bool IsReleased() => _released.IsSet;

        public void Release() => _released.Set();
    }

    /// <summary>
    /// Sends without the SDK's cancellation (only the test's token ends the request), standing in for anything in the
    /// send path that does not observe it: an attempt in flight then holds its uploader until the gateway answers.
    /// </summary>
    private sealed class IgnoresCancellation(CancellationToken release) : DelegatingHandler
    {
        private int _ended;

        public int Ended => Volatile.Read(ref _ended);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            try
            {
                return await base.SendAsync(request, release);
            }
            finally
            {
                Interlocked.Increment(ref _ended);
            }
        }
    }
}
