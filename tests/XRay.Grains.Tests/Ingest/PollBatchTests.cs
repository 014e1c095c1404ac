using Microsoft.Extensions.Time.Testing;
using XRay.Grains.Ingest;
using XRay.Grains.Options;

namespace XRay.Grains.Tests.Ingest;

/// <summary>How the consumer merges small polls into one batch (<see cref="IngestConsumerOptions.BatchLinger"/>).</summary>
public sealed class PollBatchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public async Task A_small_poll_waits_for_more_until_the_linger_ends()
    {
        var consumer = new ScriptedConsumer(_clock, TimeSpan.FromMilliseconds(8), 3, 4, 5, 6, 7);

        var batch = await PollBatch(consumer, new IngestConsumerOptions { MaxBatchSize = 1000, BatchLinger = TimeSpan.FromMilliseconds(20) });

        // The linger starts after the first poll; each poll takes 8 ms of it: 20, 12 and 4 ms are left, then none.
        Assert.Equal(Enumerable.Range(0, 18).Select(n => (long)n), batch.Select(r => r.Offset));
        Assert.Equal([1000, 997, 993, 988], consumer.Polls.Select(p => p.MaxRecords));
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(12), TimeSpan.FromMilliseconds(4)],
            consumer.Polls.Select(p => p.MaxWait));
    }

    [Fact]
    public async Task Merging_stops_at_the_batch_size()
    {
        var consumer = new ScriptedConsumer(_clock, TimeSpan.Zero, 4, 9, 5);

        var batch = await PollBatch(consumer, new IngestConsumerOptions { MaxBatchSize = 10 });

        Assert.Equal(10, batch.Count);
        Assert.Equal([10, 6], consumer.Polls.Select(p => p.MaxRecords));
    }

    [Theory]
    [InlineData(new[] { 1000, 5 }, 1000, 1)] // a full first poll goes at once
    [InlineData(new[] { 3, 0, 5 }, 3, 2)] // nothing came within the linger
    [InlineData(new[] { 0, 5 }, 0, 1)] // an empty poll is an idle consumer: no linger
    public async Task The_linger_is_skipped_or_cut_short(int[] script, int expected, int polls)
    {
        var consumer = new ScriptedConsumer(_clock, TimeSpan.Zero, script);

        var batch = await PollBatch(consumer, new IngestConsumerOptions { MaxBatchSize = 1000 });

        Assert.Equal(expected, batch.Count);
        Assert.Equal(polls, consumer.Polls.Count);
    }

    [Fact]
    public async Task Without_a_linger_the_first_poll_is_the_batch()
    {
        var consumer = new ScriptedConsumer(_clock, TimeSpan.Zero, 3, 4);

        var batch = await PollBatch(consumer, new IngestConsumerOptions { BatchLinger = TimeSpan.Zero });

        Assert.Equal(3, batch.Count);
        Assert.Single(consumer.Polls);
    }

    [Fact]
    public async Task Merging_stops_at_the_byte_bound_and_a_record_past_it_starts_the_next_batch()
    {
        // 10-byte records, at most 25 bytes a batch: the poll after two records has 5 bytes left, and the log still
        // returns a (first) record. It must neither join this batch nor be lost.
        var consumer = new ScriptedConsumer(_clock, TimeSpan.Zero, 2, 5, 5, 5) { RecordBytes = 10 };
        var poller = new BatchPoller(consumer, new IngestConsumerOptions { MaxBatchBytes = 25, PollWait = TimeSpan.FromSeconds(1) }, _clock);

        var first = await poller.PollAsync(Ct);
        var second = await poller.PollAsync(Ct);

        Assert.Equal([0L, 1L], first.Select(r => r.Offset));
        Assert.Equal([2L, 3L], second.Select(r => r.Offset));
        Assert.Equal([25L, 5L, 15L, 5L], consumer.Polls.Select(p => p.MaxBytes));
    }

    [Fact]
    public async Task A_record_larger_than_the_byte_bound_is_a_batch_of_its_own()
    {
        var consumer = new ScriptedConsumer(_clock, TimeSpan.Zero, 1, 1) { RecordBytes = 100 };
        var poller = new BatchPoller(consumer, new IngestConsumerOptions { MaxBatchBytes = 25, PollWait = TimeSpan.FromSeconds(1) }, _clock);

        Assert.Equal([0L], (await poller.PollAsync(Ct)).Select(r => r.Offset));
        Assert.Equal([1L], (await poller.PollAsync(Ct)).Select(r => r.Offset));
        Assert.Equal(2, consumer.Polls.Count); // no linger once the bound is reached
    }

    private Task<IReadOnlyList<IngestRecord>> PollBatch(IIngestConsumer consumer, IngestConsumerOptions options)
    {
        options.PollWait = TimeSpan.FromSeconds(1);
        return new BatchPoller(consumer, options, _clock).PollAsync(Ct);
    }

    /// <summary>
    /// Answers each poll with the next scripted number of records (at most what was asked, in records and in bytes, but
    /// at least one), taking <c>step</c> of fake time.
    /// </summary>
    private sealed class ScriptedConsumer(FakeTimeProvider clock, TimeSpan step, params int[] script) : IIngestConsumer
    {
        private int _next;
        private long _offset;

        public int RecordBytes { get; init; } = 1;

        public List<(int MaxRecords, TimeSpan MaxWait, long MaxBytes)> Polls { get; } = [];

        public ValueTask<IReadOnlyList<IngestRecord>> PollAsync(int maxRecords, long maxBytes, TimeSpan maxWait, CancellationToken cancellationToken = default)
        {
            Polls.Add((maxRecords, maxWait, maxBytes));
            clock.Advance(step);
            var count = _next < script.Length ? Math.Min(script[_next++], maxRecords) : 0;
            count = (int)Math.Min(count, Math.Max(1, maxBytes / RecordBytes));
            IReadOnlyList<IngestRecord> records = [.. Enumerable.Range(0, count).Select(_ => new IngestRecord(0, _offset++, new byte[RecordBytes]))];
            return ValueTask.FromResult(records);
        }

        public ValueTask CommitAsync(IReadOnlyList<IngestRecord> records, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
