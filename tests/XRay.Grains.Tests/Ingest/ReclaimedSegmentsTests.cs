using Microsoft.Extensions.Logging.Abstractions;
using XRay.Grains.Ingest.Embedded;

namespace XRay.Grains.Tests.Ingest;

/// <summary>Reclaimed segments leave the log at once and give their space back a step at a time, oldest first.</summary>
public sealed class ReclaimedSegmentsTests : IDisposable
{
    private const long MiB = 1 << 20;

    private readonly TempDirectory _directory = new();

    [Fact]
    public void A_reclaimed_segment_leaves_the_log_at_once_and_shrinks_step_by_step_until_deleted()
    {
        var older = Segment(0, 10 * MiB);
        var newer = Segment(100, 3 * MiB);
        var reclaimed = new ReclaimedSegments(_directory.Path, 0, NullLogger.Instance, minStepBytes: 4 * MiB);

        reclaimed.Add(older);
        reclaimed.Add(newer);

        Assert.Empty(LogSegment.List(_directory.Path));
        Assert.Equal(13 * MiB, reclaimed.PendingBytes);
        Assert.Equal([10 * MiB, 3 * MiB], Lengths());

        reclaimed.Trim();
        Assert.Equal([6 * MiB, 3 * MiB], Lengths());

        reclaimed.Trim();
        Assert.Equal([2 * MiB, 3 * MiB], Lengths());

        reclaimed.Trim(); // 2 MiB finish the older file, the other 2 MiB of the step go to the newer one
        Assert.Equal([1 * MiB], Lengths());
        Assert.Equal(1 * MiB, reclaimed.PendingBytes);

        reclaimed.Trim();
        Assert.Empty(Lengths());
        Assert.Equal(0, reclaimed.PendingBytes);
    }

    [Fact]
    public void A_step_grows_with_what_waits_so_the_queue_drains_however_fast_segments_arrive()
    {
        var reclaimed = new ReclaimedSegments(_directory.Path, 0, NullLogger.Instance, minStepBytes: 1 * MiB);
        for (var i = 0; i < 4; i++)
        {
            reclaimed.Add(Segment(i * 100, 64 * MiB));
        }

        reclaimed.Trim();

        Assert.Equal(256 * MiB - (256 * MiB / 16), reclaimed.PendingBytes);
    }

    [Fact]
    public void A_file_that_cannot_be_shortened_is_forgotten_and_the_step_goes_to_the_next()
    {
        var reclaimed = new ReclaimedSegments(_directory.Path, 0, NullLogger.Instance, minStepBytes: 4 * MiB);
        var first = Segment(0, 10 * MiB);
        reclaimed.Add(first);
        reclaimed.Add(Segment(100, 10 * MiB));
        File.Delete(first.Path + ReclaimedSegments.Extension);

        reclaimed.Trim();

        Assert.Equal(6 * MiB, reclaimed.PendingBytes);
        Assert.Equal([6 * MiB], Lengths());
    }

    [Fact]
    public void What_a_crash_left_half_trimmed_is_deleted_at_start_and_segments_are_untouched()
    {
        var segment = Segment(0, MiB);
        File.WriteAllBytes(Path.Combine(_directory.Path, "00000000000000000042.log" + ReclaimedSegments.Extension), new byte[100]);

        var reclaimed = new ReclaimedSegments(_directory.Path, 0, NullLogger.Instance);

        Assert.Equal(0, reclaimed.PendingBytes);
        Assert.Equal([segment.Path], Directory.GetFiles(_directory.Path));
    }

    [Fact]
    public void DeleteAll_gives_everything_back_at_once()
    {
        var reclaimed = new ReclaimedSegments(_directory.Path, 0, NullLogger.Instance);
        reclaimed.Add(Segment(0, 64 * MiB));

        reclaimed.DeleteAll();

        Assert.Empty(Directory.GetFiles(_directory.Path));
        Assert.Equal(0, reclaimed.PendingBytes);
    }

    public void Dispose() => _directory.Dispose();

    // Sparse files: the length is what counts, not blocks written.
    private LogSegment Segment(long baseOffset, long length)
    {
        var segment = LogSegment.At(_directory.Path, baseOffset);
        using var handle = File.OpenHandle(segment.Path, FileMode.CreateNew, FileAccess.Write);
        RandomAccess.SetLength(handle, length);
        return segment;
    }

    private long[] Lengths() =>
        [.. Directory.GetFiles(_directory.Path, "*" + ReclaimedSegments.Extension).Order(StringComparer.Ordinal).Select(p => new FileInfo(p).Length)];
}
