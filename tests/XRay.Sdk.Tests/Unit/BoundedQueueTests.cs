using XRay.Sdk.Processing;

namespace XRay.Sdk.Tests.Unit;

public sealed class BoundedQueueTests
{
    [Fact]
    public void It_is_first_in_first_out_and_refuses_when_full()
    {
        var queue = new BoundedQueue<string>(4);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(queue.TryEnqueue(i.ToString()));
        }

        Assert.False(queue.TryEnqueue("overflow"));
        Assert.True(queue.TryDequeue(out var first));
        Assert.Equal("0", first);
        Assert.True(queue.TryEnqueue("4"));
        Assert.Equal(4, queue.Count);
    }

    [Fact]
    public async Task Concurrent_producers_and_consumers_lose_and_duplicate_nothing()
    {
        var queue = new BoundedQueue<object>(1024);
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<object, int>();
        const int perProducer = 50_000;
        var producers = Enumerable.Range(0, 3).Select(p => Task.Run(() =>
        {
            for (var i = 0; i < perProducer; i++)
            {
                var item = new object();
                while (!queue.TryEnqueue(item))
                {
                    Thread.Yield();
                }
            }
        })).ToArray();
        var done = false;
        var consumers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            while (!Volatile.Read(ref done) || queue.Count > 0)
            {
                if (queue.TryDequeue(out var item))
                {
                    Assert.True(seen.TryAdd(item!, 0));
                }
            }
        })).ToArray();

        await Task.WhenAll(producers);
        Volatile.Write(ref done, true);
        await Task.WhenAll(consumers);

        Assert.Equal(3 * perProducer, seen.Count);
    }
}
