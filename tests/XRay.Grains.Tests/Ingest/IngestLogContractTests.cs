using System.Text;
using XRay.Grains.Ingest;

namespace XRay.Grains.Tests.Ingest;

/// <summary>
/// The behaviour every <see cref="IIngestLog"/> must show. An implementation's test class inherits this and says
/// how to open its log; one that needs a server skips itself (<c>Assert.Skip</c>) in <see cref="OpenLog"/>.
/// </summary>
public abstract class IngestLogContractTests : IAsyncDisposable
{
    protected const string Group = "contract-consumers";
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly List<IIngestLog> _open = [];

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Opens the log under test. Every call within one test reaches the same (initially empty) storage.</summary>
    protected abstract IIngestLog CreateLog();

    protected IIngestLog OpenLog()
    {
        var log = CreateLog();
        _open.Add(log);
        return log;
    }

    /// <summary>Closes <paramref name="log"/> and opens the same storage again, as a restart does.</summary>
    protected async Task<IIngestLog> ReopenAsync(IIngestLog log)
    {
        await CloseLogAsync(log);
        return OpenLog();
    }

    /// <summary>Closes <paramref name="log"/>, as a stop does (its storage can then be changed from outside).</summary>
    protected async Task CloseLogAsync(IIngestLog log)
    {
        _open.Remove(log);
        await CloseAsync(log);
    }

    [Fact]
    public async Task Append_then_poll_returns_the_records_in_order_per_partition()
    {
        var log = OpenLog();
        for (var call = 0; call < 20; call++)
        {
            await log.AppendAsync(Records(Enumerable.Range(call * 5, 5)), Ct);
        }

        await using var consumer = log.Subscribe(Group);
        var records = await PollAsync(consumer, 100);

        Assert.Equal(Enumerable.Range(0, 100), records.Select(Number).Order());
        foreach (var partition in records.GroupBy(r => r.Partition))
        {
            var inOffsetOrder = partition.OrderBy(r => r.Offset).ToList();
            Assert.Equal(inOffsetOrder.Select(Number).Order(), inOffsetOrder.Select(Number));
            Assert.Equal(inOffsetOrder.Select(r => r.Offset).Distinct().Count(), inOffsetOrder.Count);
        }
    }

    [Fact]
    public async Task Commit_then_reopen_resumes_after_the_commit()
    {
        var log = OpenLog();
        await log.AppendAsync(Records(Enumerable.Range(0, 30)), Ct);
        IReadOnlyList<IngestRecord> committed;
        await using (var consumer = log.Subscribe(Group))
        {
            committed = (await PollAsync(consumer, 30)).OrderBy(r => r.Offset).Take(12).ToList();
            await consumer.CommitAsync(committed, Ct);
        }

        log = await ReopenAsync(log);
        await using var resumed = log.Subscribe(Group);
        var redelivered = await PollAsync(resumed, 18);

        Assert.Equal(Enumerable.Range(0, 30).Except(committed.Select(Number)), redelivered.Select(Number).Order());
        Assert.Empty(await resumed.PollAsync(1000, TimeSpan.FromMilliseconds(50), Ct));
    }

    [Fact]
    public async Task Uncommitted_records_are_redelivered_after_reopen()
    {
        var log = OpenLog();
        await log.AppendAsync(Records(Enumerable.Range(0, 10)), Ct);
        await using (var consumer = log.Subscribe(Group))
        {
            Assert.Equal(10, (await PollAsync(consumer, 10)).Count);
        }

        log = await ReopenAsync(log);
        await using var again = log.Subscribe(Group);
        Assert.Equal(Enumerable.Range(0, 10), (await PollAsync(again, 10)).Select(Number).Order());
    }

    [Fact]
    public async Task Concurrent_appenders_are_all_durable_and_counted_once()
    {
        const int Appenders = 64, Calls = 20, PerCall = 10;
        var log = OpenLog();
        await Task.WhenAll(Enumerable.Range(0, Appenders).Select(a => Task.Run(async () =>
        {
            for (var c = 0; c < Calls; c++)
            {
                await log.AppendAsync(Records(Enumerable.Range(((a * Calls) + c) * PerCall, PerCall)), Ct);
            }
        }, Ct)));

        const int Total = Appenders * Calls * PerCall;
        Assert.Equal(Total, (await log.GetEndOffsetsAsync(Ct)).Sum());
        log = await ReopenAsync(log);
        await using var consumer = log.Subscribe(Group);
        Assert.Equal(Enumerable.Range(0, Total), (await PollAsync(consumer, Total)).Select(Number).Order());
    }

    [Fact]
    public async Task Poll_waits_for_records_then_wakes_on_append()
    {
        var log = OpenLog();
        await using var consumer = log.Subscribe(Group);
        var poll = consumer.PollAsync(1000, Patience, Ct).AsTask();
        Assert.False(poll.IsCompleted);

        await log.AppendAsync(Records([7]), Ct);

        var records = await poll.WaitAsync(Patience, Ct);
        Assert.Equal([7], records.Select(Number));
    }

    [Fact]
    public async Task Poll_returns_empty_when_nothing_arrives()
    {
        var log = OpenLog();
        await using var consumer = log.Subscribe(Group);
        Assert.Empty(await consumer.PollAsync(1000, TimeSpan.FromMilliseconds(100), Ct));
    }

    [Fact]
    public async Task Cancelled_poll_throws()
    {
        var log = OpenLog();
        await using var consumer = log.Subscribe(Group);
        using var cancellation = new CancellationTokenSource();
        var poll = consumer.PollAsync(1000, Patience, cancellation.Token).AsTask();

        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => poll.WaitAsync(Patience, Ct));
    }

    [Fact]
    public async Task Append_with_a_cancelled_token_throws_and_writes_nothing()
    {
        var log = OpenLog();
        var before = (await log.GetEndOffsetsAsync(Ct)).Sum();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            async () => await log.AppendAsync(Records([1]), new CancellationToken(canceled: true)));

        Assert.Equal(before, (await log.GetEndOffsetsAsync(Ct)).Sum());
    }

    [Fact]
    public async Task Offsets_report_the_end_and_the_groups_commit()
    {
        var log = OpenLog();
        await log.AppendAsync(Records(Enumerable.Range(0, 8)), Ct);
        var end = await log.GetEndOffsetsAsync(Ct);
        Assert.Equal(log.PartitionCount, end.Count);
        Assert.Equal(8, end.Sum());
        Assert.All(await log.GetCommittedOffsetsAsync(Group, Ct), offset => Assert.Equal(0, offset));

        await using var consumer = log.Subscribe(Group);
        await consumer.CommitAsync(await PollAsync(consumer, 8), Ct);

        Assert.Equal(end, await log.GetCommittedOffsetsAsync(Group, Ct));
    }

    [Fact]
    public async Task A_record_larger_than_the_byte_bound_is_still_returned_one_per_poll()
    {
        var log = OpenLog();
        await log.AppendAsync(Records(Enumerable.Range(0, 6)), Ct); // ~400 bytes each

        await using var consumer = log.Subscribe(Group);
        var polls = await PollAsync(consumer, 6, maxBytes: 100);

        Assert.All(polls, poll => Assert.Single(poll));
        Assert.Equal(Enumerable.Range(0, 6), polls.SelectMany(p => p).Select(Number).Order());
    }

    [Fact]
    public async Task Many_small_records_are_cut_at_the_byte_bound()
    {
        var log = OpenLog();
        await log.AppendAsync(Records(Enumerable.Range(0, 100)), Ct);
        var recordBytes = Records([99])[0].Length;

        await using var consumer = log.Subscribe(Group);
        var polls = await PollAsync(consumer, 100, maxBytes: 10 * recordBytes);

        Assert.All(polls, poll => Assert.InRange(poll.Sum(r => r.Value.Length), 1, 10 * recordBytes));
        Assert.Contains(polls, poll => poll.Count == 10); // cut at the bound, not at one record
        Assert.Equal(Enumerable.Range(0, 100), polls.SelectMany(p => p).Select(Number).Order());
    }

    /// <summary>Polls with a byte bound until <paramref name="count"/> records arrived; returns each non-empty poll.</summary>
    private static async Task<List<IReadOnlyList<IngestRecord>>> PollAsync(IIngestConsumer consumer, int count, long maxBytes)
    {
        var polls = new List<IReadOnlyList<IngestRecord>>();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(Patience);
        while (polls.Sum(p => p.Count) < count)
        {
            var poll = await consumer.PollAsync(1000, maxBytes, TimeSpan.FromSeconds(1), deadline.Token);
            if (poll.Count > 0)
            {
                polls.Add(poll);
            }
        }

        return polls;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var log in _open)
        {
            await CloseAsync(log);
        }

        _open.Clear();
        await DisposeStorageAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Removes what the test stored.</summary>
    protected virtual ValueTask DisposeStorageAsync() => ValueTask.CompletedTask;

    protected static IReadOnlyList<ReadOnlyMemory<byte>> Records(IEnumerable<int> numbers)
        => [.. numbers.Select(n => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes($"{n}:{new string('x', 400)}"))];

    protected static int Number(IngestRecord record)
    {
        var text = Encoding.UTF8.GetString(record.Value.Span);
        return int.Parse(text.AsSpan(0, text.IndexOf(':', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Polls until <paramref name="count"/> records arrived (or fails after a generous wait).</summary>
    protected static async Task<List<IngestRecord>> PollAsync(IIngestConsumer consumer, int count)
    {
        var records = new List<IngestRecord>();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(Patience);
        while (records.Count < count)
        {
            records.AddRange(await consumer.PollAsync(1000, TimeSpan.FromSeconds(1), deadline.Token));
        }

        return records;
    }

    private static async ValueTask CloseAsync(IIngestLog log)
    {
        if (log is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }
}
