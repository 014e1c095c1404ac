using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using XRay.Grains.Ingest;
using XRay.Grains.Ingest.Embedded;
using XRay.Grains.Options;

namespace XRay.Grains.Tests.Ingest;

/// <summary>The contract, plus what only an on-disk log has: torn tails, segments, reclamation.</summary>
public sealed class EmbeddedIngestLogTests : IngestLogContractTests
{
    private readonly TempDirectory _directory = new();

    private EmbeddedIngestLogOptions Options { get; } = new();

    private string SegmentDirectory => Path.Combine(_directory.Path, "partition-0");

    protected override IIngestLog CreateLog() => Open(Options, TimeProvider.System);

    private EmbeddedIngestLog Open(EmbeddedIngestLogOptions options, TimeProvider timeProvider)
    {
        options.Directory = _directory.Path;
        return new EmbeddedIngestLog(Microsoft.Extensions.Options.Options.Create(options), NullLogger<EmbeddedIngestLog>.Instance, timeProvider);
    }

    protected override ValueTask DisposeStorageAsync()
    {
        _directory.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task A_log_opened_with_fewer_partitions_than_hold_records_refuses_to_start()
    {
        Options.Partitions = 3;
        await using (var log = Open(Options, TimeProvider.System))
        {
            // Appends go to whichever partition is free; enough of them reach partition 2.
            for (var round = 0; (await log.GetEndOffsetsAsync(Ct))[2] == 0; round++)
            {
                Assert.True(round < 100, "no append reached partition 2");
                await Task.WhenAll(Enumerable.Range(0, 8).Select(n => log.AppendAsync(Records([n]), Ct).AsTask()));
            }
        }

        Options.Partitions = 2;
        var refused = Assert.Throws<InvalidOperationException>(() => Open(Options, TimeProvider.System));
        Assert.Contains("holds records in partition-2, but Ingest:Log:Partitions is 2", refused.Message, StringComparison.Ordinal);

        // After its records were read, an operator deletes the directory as the message says; the log opens again.
        Directory.Delete(Path.Combine(_directory.Path, "partition-2"), recursive: true);
        await using var reopened = Open(Options, TimeProvider.System);
        Assert.Equal(2, (await reopened.GetEndOffsetsAsync(Ct)).Count);
    }

    [Fact]
    public async Task A_log_whose_directory_and_parents_do_not_exist_yet_creates_them_and_reopens()
    {
        var root = Path.Combine(_directory.Path, "new", "data", "ingest-log");
        var options = Microsoft.Extensions.Options.Options.Create(new EmbeddedIngestLogOptions { Directory = root });
        await using (var log = new EmbeddedIngestLog(options, NullLogger<EmbeddedIngestLog>.Instance, TimeProvider.System))
        {
            await log.AppendAsync(Records([1, 2]), Ct);
        }

        Assert.True(Directory.Exists(Path.Combine(root, "offsets")));
        await using var reopened = new EmbeddedIngestLog(options, NullLogger<EmbeddedIngestLog>.Instance, TimeProvider.System);
        Assert.Equal(2, (await reopened.GetEndOffsetsAsync(Ct)).Sum());
    }

    [Fact]
    public async Task A_partition_that_cannot_be_read_holds_up_neither_the_others_nor_loses_a_record()
    {
        var log = OpenLog();
        IReadOnlyList<long> end;
        var n = 0;
        do
        {
            await log.AppendAsync(Records([n++]), Ct);
            end = await log.GetEndOffsetsAsync(Ct);
        }
        while (n < 10 || end.Any(offset => offset == 0));

        // A segment that cannot be opened, as with too many open files or a failing disk.
        var segment = Directory.GetFiles(SegmentDirectory, "*.log").Single();
        File.Move(segment, segment + ".away");
        await using var consumer = log.Subscribe(Group);

        var others = await consumer.PollAsync(1000, TimeSpan.Zero, Ct);
        Assert.All(others, record => Assert.Equal(1, record.Partition));
        Assert.Equal(end[1], others.Count);

        // Nothing else to return: the poll waits as usual and returns nothing; it throws nothing, so the caller does not
        // back off while the other partitions could deliver.
        Assert.Empty(await consumer.PollAsync(1000, TimeSpan.FromMilliseconds(100), Ct));

        File.Move(segment + ".away", segment);
        var recovered = await PollAsync(consumer, (int)end[0]);
        Assert.Equal(Enumerable.Range(0, (int)end[0]).Select(o => (long)o), recovered.Select(r => r.Offset));
        Assert.All(recovered, record => Assert.Equal(0, record.Partition));
        Assert.Equal(Enumerable.Range(0, n), others.Concat(recovered).Select(Number).Order());
    }

    [Theory]
    [InlineData(new byte[] { 0x64, 0, 0, 0, 1, 2, 3, 4, 5, 6 })] // a header promising 100 bytes, then 2
    [InlineData(new byte[] { 0x05, 0, 0, 0, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4, 5 })] // whole frame, wrong checksum
    [InlineData(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })] // zeros, as a file system may leave
    [InlineData(new byte[] { 0x42, 0x42, 0x42 })] // not even a header
    public async Task A_torn_tail_is_cut_at_start_up_and_the_log_stays_appendable(byte[] tail)
    {
        Options.Partitions = 1;
        var log = OpenLog();
        await log.AppendAsync(Records(Enumerable.Range(0, 10)), Ct);
        log = await ReopenAsync(log);
        var segment = Directory.GetFiles(SegmentDirectory, "*.log").Single();
        var intactLength = new FileInfo(segment).Length;
        await File.AppendAllBytesAsync(segment, tail, Ct);

        log = await ReopenAsync(log);

        Assert.Equal(intactLength, new FileInfo(segment).Length);
        await log.AppendAsync(Records([10]), Ct);
        log = await ReopenAsync(log);
        await using var consumer = log.Subscribe(Group);
        var records = await PollAsync(consumer, 11);
        Assert.Equal(Enumerable.Range(0, 11), records.Select(Number));
        Assert.Equal(Enumerable.Range(0, 11).Select(n => (long)n), records.Select(r => r.Offset));
    }

    [Fact]
    public async Task A_whole_frame_left_behind_a_torn_one_is_never_read_after_later_appends()
    {
        // A crash in the middle of a batch can leave a damaged frame followed by an intact one (pages reach the disk
        // in any order). A later append of the same size lands exactly on the damaged frame; the intact one after it
        // would then read as the next record unless recovery removed it.
        Options.Partitions = 1;
        var log = OpenLog();
        await log.AppendAsync(Records(Enumerable.Range(0, 5)), Ct);
        log = await ReopenAsync(log);
        var segment = Directory.GetFiles(SegmentDirectory, "*.log").Single();
        var written = await File.ReadAllBytesAsync(segment, Ct);
        var frameLength = written.Length / 5;
        var damaged = written[..frameLength];
        damaged[^1] ^= 0xFF;
        await File.AppendAllBytesAsync(segment, [.. damaged, .. written[..frameLength]], Ct);

        log = await ReopenAsync(log);
        await log.AppendAsync(Records([5]), Ct);
        log = await ReopenAsync(log);

        await using var consumer = log.Subscribe(Group);
        Assert.Equal(Enumerable.Range(0, 6), (await PollAsync(consumer, 6)).Select(Number));
        Assert.Empty(await consumer.PollAsync(1000, TimeSpan.FromMilliseconds(200), Ct));
    }

    [Fact]
    public async Task Segments_roll_and_only_segments_every_group_consumed_are_reclaimed()
    {
        Options.Partitions = 1;
        Options.SegmentBytes = EmbeddedIngestLogOptionsValidator.MinSegmentBytes;
        var log = OpenLog();
        await using var slow = log.Subscribe("slow");
        await using var fast = log.Subscribe("fast");
        for (var n = 0; n < 100; n++)
        {
            await log.AppendAsync(Records([n]), Ct);
        }

        var segmentsBefore = SegmentBases();
        Assert.True(segmentsBefore.Count > 10, $"expected many segments, got {segmentsBefore.Count}");

        await fast.CommitAsync((await PollAsync(fast, 100)).Take(80).ToList(), Ct);
        Assert.Equal(segmentsBefore, SegmentBases());

        await slow.CommitAsync((await PollAsync(slow, 100)).Take(50).ToList(), Ct);
        var kept = SegmentBases();
        Assert.True(kept[0] <= 50 && (kept.Count == 1 || kept[1] > 50), $"kept segments {string.Join(',', kept)}");
        Assert.Equal(segmentsBefore.SkipWhile(b => b < kept[0]), kept);
        Assert.Empty(Directory.GetFiles(SegmentDirectory, "*" + ReclaimedSegments.Extension)); // small files: one trim step gives them back

        log = await ReopenAsync(log);
        await using var resumed = log.Subscribe("slow");
        Assert.Equal(Enumerable.Range(50, 50), (await PollAsync(resumed, 50)).Select(Number));
    }

    /// <summary>One partition of the smallest segments, <paramref name="count"/> records appended one at a time (numbered from 0).</summary>
    private async Task<IIngestLog> AppendOneByOneToSmallSegmentsAsync(int count)
    {
        Options.Partitions = 1;
        Options.SegmentBytes = EmbeddedIngestLogOptionsValidator.MinSegmentBytes;
        var log = OpenLog();
        for (var n = 0; n < count; n++)
        {
            await log.AppendAsync(Records([n]), Ct);
        }

        return log;
    }

    /// <summary>Commits the group's offset past <paramref name="offset"/>, reading the <paramref name="count"/> records there are.</summary>
    private static async Task CommitThroughAsync(IIngestLog log, int offset, int count)
    {
        await using var consumer = log.Subscribe(Group);
        await consumer.CommitAsync((await PollAsync(consumer, count)).Take(offset + 1).ToList(), Ct);
    }

    /// <summary>Flips a byte of the first record's payload in the segment starting at <paramref name="segmentBase"/>, as a failing disk might.</summary>
    private async Task DamageFirstFrameAsync(int segmentBase)
    {
        var segment = Path.Combine(SegmentDirectory, $"{segmentBase:D20}.log");
        var bytes = await File.ReadAllBytesAsync(segment, Ct);
        bytes[RecordFrame.HeaderSize] ^= 0xFF;
        await File.WriteAllBytesAsync(segment, bytes, Ct);
    }

    [Fact]
    public async Task A_damaged_frame_the_group_read_already_in_a_sealed_segment_costs_that_segments_rest_not_the_partition()
    {
        var log = await AppendOneByOneToSmallSegmentsAsync(30);

        // The group resumes in the middle of the second segment, a sealed one; a frame before that point is damaged
        // afterwards (the disk), so the reader cannot count its way to the group's offset.
        var bases = SegmentBases();
        var (damagedBase, nextBase) = ((int)bases[1], (int)bases[2]);
        Assert.True(nextBase - damagedBase >= 2, $"segments {string.Join(',', bases)}");
        await CommitThroughAsync(log, damagedBase, 30);

        await DamageFirstFrameAsync(damagedBase);

        log = await ReopenAsync(log);
        await using var resumed = log.Subscribe(Group);

        // As when a read meets a damaged sealed segment: the rest of that segment is lost, the partition reads on.
        Assert.Equal(Enumerable.Range(nextBase, 30 - nextBase), (await PollAsync(resumed, 30 - nextBase)).Select(Number));
    }

    [Fact]
    public async Task A_damaged_segment_skipped_on_resume_onto_an_empty_active_segment_reads_nothing_and_throws_nothing()
    {
        var log = await AppendOneByOneToSmallSegmentsAsync(30);

        // The group resumes inside the last segment, which a crash right after a roll leaves followed by an empty one;
        // a frame before the group's offset is damaged, so the seek skips onto the empty segment: the durable end.
        var damagedBase = (int)SegmentBases()[^1];
        Assert.True(30 - damagedBase >= 2, $"segments {string.Join(',', SegmentBases())}");
        await CommitThroughAsync(log, damagedBase, 30);

        await CloseLogAsync(log);
        await DamageFirstFrameAsync(damagedBase);
        await File.WriteAllBytesAsync(Path.Combine(SegmentDirectory, $"{30:D20}.log"), [], Ct);

        log = OpenLog();
        await using var resumed = log.Subscribe(Group);
        Assert.Empty(await resumed.PollAsync(1000, TimeSpan.FromMilliseconds(200), Ct));
        await log.AppendAsync(Records([30]), Ct);
        Assert.Equal([30], (await PollAsync(resumed, 1)).Select(Number)); // and it reads on from there
    }

    [Fact]
    public async Task A_seek_that_failed_resumes_where_it_stopped_not_at_the_start_of_the_segment()
    {
        Options.Partitions = 1;
        var log = OpenLog();
        await log.AppendAsync(Records(Enumerable.Range(0, 10)), Ct);
        await CommitThroughAsync(log, 7, 10);
        var segment = Directory.GetFiles(SegmentDirectory, "*.log").Single();
        var frames = FrameStarts(await File.ReadAllBytesAsync(segment, Ct));

        // Damaged while the log runs (a failing disk; at start-up recovery would cut it as a torn tail): the seek to the
        // group's offset, 8, stops at record 5.
        FlipPayloadByte(segment, frames[5]);
        await using var consumer = log.Subscribe(Group);
        await Assert.ThrowsAsync<InvalidDataException>(async () => await consumer.PollAsync(1000, TimeSpan.Zero, Ct));

        // Record 5 reads again and record 2 no longer does: a seek that started over from the segment's start would stop
        // there, one that resumes where it stopped never reads it.
        FlipPayloadByte(segment, frames[5]);
        FlipPayloadByte(segment, frames[2]);
        Assert.Equal([8, 9], (await PollAsync(consumer, 2)).Select(Number));
    }

    [Fact]
    public async Task A_poll_that_meets_damage_after_taking_records_returns_them_and_the_next_poll_throws()
    {
        // One append to each partition (an idle partition from a rotating start takes it): 0-4 in partition 0, 5-9 in 1.
        var log = OpenLog();
        await log.AppendAsync(Records(Enumerable.Range(0, 5)), Ct);
        await log.AppendAsync(Records(Enumerable.Range(5, 5)), Ct);
        Assert.Equal([5L, 5L], await log.GetEndOffsetsAsync(Ct));

        // Damaged while the log runs (a failing disk), below the durable end: the third record of partition 1.
        var segment = Directory.GetFiles(Path.Combine(_directory.Path, "partition-1"), "*.log").Single();
        FlipPayloadByte(segment, FrameStarts(await File.ReadAllBytesAsync(segment, Ct))[2]);
        await using var consumer = log.Subscribe(Group);

        // The poll reads partition 0, then partition 1 up to the damage. Thrown at once, those records were lost: the
        // cursors stayed past them, and the next poll that filled up before reaching partition 1 went on after them.
        var taken = await consumer.PollAsync(1000, TimeSpan.Zero, Ct);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], taken.Select(Number).Order());
        await Assert.ThrowsAsync<InvalidDataException>(async () => await consumer.PollAsync(1000, TimeSpan.Zero, Ct));
    }

    /// <summary>File positions of the frames in a segment's bytes.</summary>
    private static List<long> FrameStarts(byte[] segment)
    {
        var starts = new List<long>();
        for (var position = 0; position < segment.Length; position += RecordFrame.HeaderSize + System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(segment.AsSpan(position)))
        {
            starts.Add(position);
        }

        return starts;
    }

    /// <summary>Flips the first payload byte of the frame at <paramref name="frame"/> in place, beside the log's own handle.</summary>
    private static void FlipPayloadByte(string segment, long frame)
    {
        using var handle = File.OpenHandle(segment, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var value = new byte[1];
        RandomAccess.Read(handle, value, frame + RecordFrame.HeaderSize);
        value[0] ^= 0xFF;
        RandomAccess.Write(handle, value, frame + RecordFrame.HeaderSize);
    }

    [Fact]
    public async Task A_cancelled_append_is_either_durable_or_absent_never_torn()
    {
        var log = OpenLog();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 200).Select(async n =>
        {
            using var cancellation = new CancellationTokenSource();
            var append = log.AppendAsync(Records([n]), cancellation.Token).AsTask();
            if (n % 2 == 0)
            {
                await cancellation.CancelAsync();
            }

            try
            {
                await append;
                return (Number: n, Written: true);
            }
            catch (OperationCanceledException)
            {
                return (Number: n, Written: false);
            }
        }));

        log = await ReopenAsync(log);
        await using var consumer = log.Subscribe(Group);
        var written = outcomes.Where(o => o.Written).Select(o => o.Number).Order().ToList();
        Assert.Equal(written, (await PollAsync(consumer, written.Count)).Select(Number).Order());
        Assert.Empty(await consumer.PollAsync(1000, TimeSpan.Zero, Ct));
    }

    [Fact]
    public async Task A_commit_torn_by_a_crash_falls_back_to_the_previous_commit()
    {
        var log = await TenRecordsCommittedAsync(3, 7); // sequence 1 in the second slot, sequence 2 in the first
        log = await ReopenAsync(log);
        Assert.Equal([7L], await log.GetCommittedOffsetsAsync(Group, Ct));
        await using (var stream = File.OpenWrite(Path.Combine(_directory.Path, "offsets", Group + ".offsets")))
        {
            await stream.WriteAsync(new byte[] { 0xFF, 0xFF, 0xFF }.AsMemory(), Ct); // tear the newest slot
        }

        log = await ReopenAsync(log);
        Assert.Equal([3L], await log.GetCommittedOffsetsAsync(Group, Ct));
        await using var resumed = log.Subscribe(Group);
        Assert.Equal(Enumerable.Range(3, 7), (await PollAsync(resumed, 7)).Select(Number));
    }

    [Fact]
    public async Task A_group_committed_past_a_lost_tail_still_reads_new_records()
    {
        var log = await TenRecordsCommittedAsync(10);
        await ((EmbeddedIngestLog)log).DisposeAsync();
        Directory.Delete(SegmentDirectory, recursive: true); // the data is gone, the offsets file is not
        log = await ReopenAsync(log);
        await using var resumed = log.Subscribe(Group);
        await log.AppendAsync(Records([100, 101]), Ct);

        Assert.Equal([100, 101], (await PollAsync(resumed, 2)).Select(Number));
    }

    [Fact]
    public async Task Records_appended_after_a_lost_tail_survive_a_restart_before_they_are_consumed()
    {
        // The group's offset (10) is past the end (0) after the data was lost. New records get offsets 0, 1, 2 ...; the
        // group applies two of them, then the process restarts before it applies the rest.
        var log = await TenRecordsCommittedAsync(10);
        await ((EmbeddedIngestLog)log).DisposeAsync();
        Directory.Delete(SegmentDirectory, recursive: true);
        log = await ReopenAsync(log);
        await using (var consumer = log.Subscribe(Group))
        {
            await log.AppendAsync(Records(Enumerable.Range(100, 5)), Ct); // acknowledged: offsets 0-4
            var records = await PollAsync(consumer, 5);
            await consumer.CommitAsync(records.Take(2).ToList(), Ct);
        }

        log = await ReopenAsync(log);
        await using var resumed = log.Subscribe(Group);
        Assert.Equal([102, 103, 104], (await resumed.PollAsync(1000, TimeSpan.FromSeconds(1), Ct)).Select(Number));
    }

    [Fact]
    public async Task Records_appended_after_a_lost_tail_are_not_reclaimed_before_they_are_consumed()
    {
        var log = await TenRecordsCommittedAsync(10);
        await ((EmbeddedIngestLog)log).DisposeAsync();
        Directory.Delete(SegmentDirectory, recursive: true);
        Options.SegmentBytes = EmbeddedIngestLogOptionsValidator.MinSegmentBytes; // a few records a segment
        log = await ReopenAsync(log);
        await using var consumer = log.Subscribe(Group);
        for (var n = 100; n < 120; n++)
        {
            await log.AppendAsync(Records([n]), Ct); // acknowledged: offsets 0-19
        }

        var first = await consumer.PollAsync(1, TimeSpan.FromSeconds(1), Ct);
        await consumer.CommitAsync(first, Ct); // applied record 100 only

        var rest = new List<IngestRecord>(first);
        rest.AddRange(await consumer.PollAsync(1000, TimeSpan.FromSeconds(1), Ct));
        Assert.Equal(Enumerable.Range(100, 20), rest.Select(Number));
    }

    [Fact]
    public async Task Poll_gives_up_when_the_clock_passes_max_wait()
    {
        var clock = new FakeTimeProvider();
        var log = Open(Options, clock);
        await using var consumer = log.Subscribe(Group);
        var poll = consumer.PollAsync(1000, TimeSpan.FromSeconds(5), Ct).AsTask();
        Assert.False(poll.IsCompleted);

        clock.Advance(TimeSpan.FromSeconds(5));

        Assert.Empty(await poll.WaitAsync(Patience, Ct));
        await log.DisposeAsync();
    }

    [Fact]
    public async Task Poll_can_wait_without_a_limit()
    {
        var log = OpenLog();
        await using var consumer = log.Subscribe(Group);
        var poll = consumer.PollAsync(1000, Timeout.InfiniteTimeSpan, Ct).AsTask();
        Assert.False(poll.IsCompleted);

        await log.AppendAsync(Records([1]), Ct);

        Assert.Equal([1], (await poll.WaitAsync(Patience, Ct)).Select(Number));
    }

    [Fact]
    public async Task A_record_over_the_size_limit_is_refused()
    {
        Options.MaxRecordBytes = 100;
        var log = OpenLog();
        await Assert.ThrowsAsync<ArgumentException>(async () => await log.AppendAsync(Records([1]), Ct));
    }

    /// <summary>A one-partition log holding records 0-9; the group commits the first <paramref name="commits"/>, in turn.</summary>
    private async Task<IIngestLog> TenRecordsCommittedAsync(params int[] commits)
    {
        Options.Partitions = 1;
        var log = OpenLog();
        await log.AppendAsync(Records(Enumerable.Range(0, 10)), Ct);
        await using var consumer = log.Subscribe(Group);
        var records = await PollAsync(consumer, 10);
        foreach (var count in commits)
        {
            await consumer.CommitAsync(records.Take(count).ToList(), Ct);
        }

        return log;
    }

    private List<long> SegmentBases()
        => [.. Directory.GetFiles(SegmentDirectory, "*.log").Select(p => long.Parse(Path.GetFileNameWithoutExtension(p), System.Globalization.CultureInfo.InvariantCulture)).Order()];
}
