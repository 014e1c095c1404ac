using Microsoft.Extensions.Logging;

namespace XRay.Grains.Ingest.Embedded;

/// <summary>A consumer's read position in one partition: the next offset, and an open reader on its segment.</summary>
internal sealed partial class PartitionCursor(LogPartition partition, long nextOffset, ILogger logger) : IDisposable
{
    private SegmentReader? _reader;
    private long _segmentBase;

    /// <summary>Adds up to <paramref name="maxRecords"/> durable records after the position to <paramref name="into"/>.</summary>
    public void Read(List<IngestRecord> into, int maxRecords)
    {
        var durable = partition.Durable;
        var added = 0;
        while (added < maxRecords && nextOffset < durable.EndOffset)
        {
            _reader ??= Seek(durable);
            var sealedSegment = _segmentBase < durable.SegmentBase;
            var status = _reader.Next(sealedSegment ? long.MaxValue : durable.Position, out var payload);
            if (status == FrameStatus.Complete)
            {
                into.Add(new IngestRecord(partition.Index, nextOffset++, payload.ToArray()));
                added++;
            }
            else if (sealedSegment)
            {
                MoveToNextSegment(status);
            }
            else
            {
                // Below the durable end every frame was fsync'd whole: this is damage, not a torn write.
                throw new InvalidDataException($"Ingest log partition {partition.Index}: unreadable record at offset {nextOffset}.");
            }
        }
    }

    /// <summary>Opens the segment holding the next offset and skips to it.</summary>
    private SegmentReader Seek(DurableEnd durable)
    {
        var segment = partition.FindSegment(nextOffset);
        if (nextOffset < segment.BaseOffset)
        {
            LogSkipped(logger, partition.Index, nextOffset, segment.BaseOffset);
            nextOffset = segment.BaseOffset;
        }

        var reader = new SegmentReader(segment.Path);
        _segmentBase = segment.BaseOffset;
        var limit = segment.BaseOffset < durable.SegmentBase ? long.MaxValue : durable.Position;
        for (var offset = segment.BaseOffset; offset < nextOffset; offset++)
        {
            if (reader.Next(limit, out _) != FrameStatus.Complete)
            {
                reader.Dispose();
                throw new InvalidDataException($"Ingest log partition {partition.Index}: cannot seek to offset {nextOffset}.");
            }
        }

        return reader;
    }

    /// <summary>At the end of a sealed segment, continues in the next one.</summary>
    private void MoveToNextSegment(FrameStatus status)
    {
        var next = partition.NextSegment(_segmentBase)
            ?? throw new InvalidDataException($"Ingest log partition {partition.Index}: segment {_segmentBase} is sealed but has no successor.");
        if (status == FrameStatus.Corrupt || next.BaseOffset != nextOffset)
        {
            // A damaged sealed segment: lose its unreadable rest rather than stop the partition for good.
            LogSkipped(logger, partition.Index, nextOffset, next.BaseOffset);
        }

        _reader?.Dispose();
        _reader = new SegmentReader(next.Path);
        _segmentBase = next.BaseOffset;
        nextOffset = next.BaseOffset;
    }

    public void Dispose() => _reader?.Dispose();

    [LoggerMessage(Level = LogLevel.Error, Message = "Ingest log partition {Partition}: records {From} to {To} are unreadable or reclaimed; skipping them.")]
    private static partial void LogSkipped(ILogger logger, int partition, long from, long to);
}
