using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using XRay.Sdk.Processing;

namespace XRay.Sdk.Tests.Unit;

/// <summary>
/// A <c>Step()</c> that passed the tracer's stop check just before a dispose may enqueue after the last worker took what
/// was left: such an item must still be accounted for (processed, or handed to <c>abandoned</c> to be counted as dropped).
/// </summary>
public sealed class WorkerPoolTests
{
    private readonly ConcurrentQueue<int> _processed = new();
    private readonly ConcurrentQueue<int> _abandoned = new();

    private WorkerPool<object> Pool(int workers = 2, int capacity = 64) =>
        new(workers, capacity, item => _processed.Enqueue((int)item), item => _abandoned.Enqueue((int)item), () => { }, NullLogger.Instance);

    private static Budget Generous() => new(TimeSpan.FromSeconds(10), TimeProvider.System);

    [Fact]
    public async Task An_item_posted_after_the_last_worker_ended_is_abandoned_on_the_posters_thread_not_stranded()
    {
        var pool = Pool();
        Assert.True(pool.TryPost(1));
        Assert.True(await pool.WaitDrainedAsync(() => false, TimeProvider.System));
        Assert.True(await pool.StopAsync(Generous()));

        // as a Step() that read "not stopped" before the dispose and enqueues now, with no worker left to take it
        Assert.True(pool.TryPost(2));
        Assert.True(pool.TryPost(3));

        Assert.Equal(new[] { 1 }, _processed);
        Assert.Equal(new[] { 2, 3 }, _abandoned);
        Assert.Equal(0, pool.Pending);
    }

    [Fact]
    public async Task Items_posted_while_the_workers_stop_are_each_processed_or_abandoned_exactly_once()
    {
        const int Posters = 3;
        for (var round = 0; round < 20; round++)
        {
            _processed.Clear();
            _abandoned.Clear();
            var pool = Pool(capacity: 32);
            var next = 0;
            var refused = 0;
            var stopping = 0;
            var posters = Enumerable.Range(0, Posters).Select(_ => Task.Run(() =>
            {
                // post until a while after the stop begins, so some posts race the last worker's exit and some come after
                // it, yet stop posting on their own: posters that went on until the stop returned could keep the queue
                // from ever being seen empty by the draining workers on a machine with more cores
                for (var after = 0; after < 200; after += Volatile.Read(ref stopping))
                {
                    if (!pool.TryPost(Interlocked.Increment(ref next)))
                    {
                        Interlocked.Increment(ref refused);
                    }
                }
            }, TestContext.Current.CancellationToken)).ToArray();

            await Task.Delay(round % 3, TestContext.Current.CancellationToken);
            Volatile.Write(ref stopping, 1);
            Assert.True(await pool.StopAsync(Generous()));
            await Task.WhenAll(posters);

            var taken = _processed.Concat(_abandoned).ToList();
            Assert.Equal(taken.Count, taken.Distinct().Count()); // none twice
            Assert.Equal(next, taken.Count + refused); // none lost
            Assert.Equal(0, pool.Pending);
        }
    }
}
