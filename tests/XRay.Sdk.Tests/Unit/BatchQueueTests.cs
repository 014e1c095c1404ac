using Microsoft.Extensions.Time.Testing;
using XRay.Sdk.Processing;

namespace XRay.Sdk.Tests.Unit;

public sealed class BatchQueueTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly List<List<byte[]>> _flushed = [];

    private BatchQueue Create(int size = 3) => new(size, TimeSpan.FromSeconds(1), b => _flushed.Add(b), _time);

    [Fact]
    public void The_timer_runs_only_while_a_batch_is_open()
    {
        using var queue = Create();
        Assert.False(queue.TimerRunning);

        queue.Add([1]);
        Assert.True(queue.TimerRunning);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Single(_flushed);
        Assert.False(queue.TimerRunning);
    }

    [Fact]
    public void A_full_batch_is_handed_on_at_once_and_stops_the_timer()
    {
        using var queue = Create(size: 3);
        queue.Add([1]);
        queue.Add([2]);
        Assert.Empty(_flushed);

        queue.Add([3]);

        Assert.Single(_flushed);
        Assert.Equal(3, _flushed[0].Count);
        Assert.False(queue.TimerRunning);
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Single(_flushed);
    }

    [Fact]
    public void The_interval_counts_from_the_first_event_of_a_batch()
    {
        using var queue = Create(size: 100);
        queue.Add([1]);
        _time.Advance(TimeSpan.FromMilliseconds(900));
        queue.Add([2]);
        _time.Advance(TimeSpan.FromMilliseconds(100));

        Assert.Single(_flushed);
        Assert.Equal(2, _flushed[0].Count);
    }

    [Fact]
    public void A_batch_never_grows_past_the_body_limit()
    {
        using var queue = Create(size: 1000);
        var big = new byte[BatchQueue.MaxBatchBytes / 2 + 1];
        queue.Add(big);
        queue.Add(big);

        Assert.Single(_flushed);
        Assert.Single(_flushed[0]);
        Assert.Equal(1, queue.Count);
    }

    [Fact]
    public void Flush_hands_on_what_is_open_and_nothing_when_empty()
    {
        using var queue = Create();
        queue.Flush();
        Assert.Empty(_flushed);

        queue.Add([1]);
        queue.Flush();
        Assert.Single(_flushed);
        Assert.False(queue.TimerRunning);
    }

    [Fact]
    public async Task A_batch_the_timer_took_counts_as_in_hand_until_it_is_handed_on()
    {
        using var release = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        using var queue = new BatchQueue(10, TimeSpan.FromSeconds(1), _ =>
        {
            entered.Set();
            release.Wait(TimeSpan.FromSeconds(10));
        }, _time);
        queue.Add([1]);

        // The timer fires on another thread and is held inside the hand-on (the spool write).
        var timer = Task.Run(() => _time.Advance(TimeSpan.FromSeconds(1)), TestContext.Current.CancellationToken);
        Assert.True(entered.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));

        queue.Flush(); // finds nothing open: a flush must still wait for the batch in hand
        Assert.Equal(1, queue.InHand);

        release.Set();
        await timer;
        Assert.Equal(0, queue.InHand);
    }

    [Fact]
    public void An_event_added_after_dispose_waits_for_the_next_flush_not_for_the_disposed_timer()
    {
        // a worker that finishes an event after the tracer stopped: the timer is gone and would never hand it on
        var flushed = new List<List<byte[]>>();
        var queue = new BatchQueue(10, TimeSpan.FromSeconds(1), b => flushed.Add(b), TimeProvider.System);
        queue.Dispose();

        queue.Add([2]);
        Assert.False(queue.TimerRunning);
        queue.Flush();

        Assert.Equal([2], Assert.Single(Assert.Single(flushed)));
    }
}
