using Microsoft.Extensions.Logging;

namespace XRay.Grains.Ingest.Embedded;

/// <summary>A consumer's read position in one partition: the next offset, and an open reader on its segment.</summary>
internal sealed partial class PartitionCursor : IDisposable
{
    private readonly LogPartition _partition;
    private readonly ILogger _logger;
    private SegmentReader? _reader;
    private long _segmentBase;
    private long _nextOffset;

    // Where a failed seek stopped (a frame start below the durable end, which never changes): the next seek resumes
    // there rather than rescanning the segment from its start at every poll while the failure lasts.
    private (long SegmentBase, long Offset, long Position)? _seekStop;

    public PartitionCursor(LogPartition partition, long committed, ILogger logger)
    {
        _partition = partition;
        _logger = logger;
        _nextOffset = committed;
        var end = partition.Durable.EndOffset;
        if (committed > end)
        {
            // The log lost its tail or was replaced: without this, the next records appended would be skipped.
            LogCommittedBeyondEnd(logger, partition.Index, committed, end);
            _nextOffset = end;
        }
    }

    /// <summary>Durable records after the position: what <see cref="Read"/> would add at most.</summary>
    public long Available => Math.Max(0, _partition.Durable.EndOffset - _nextOffset);

    /// <summary>
    /// Adds up to <paramref name="maxRecords"/> durable records after the position to <paramref name="into"/>, their
    /// values taking at most <paramref name="bytesLeft"/> (lowered by what it adds); a record that would pass it stays
    /// for the next read, unless <paramref name="into"/> is still empty (a poll always returns at least one record).
    /// Returns false when it stopped at that byte bound. Throws on an I/O error or damage, keeping what it added: the
    /// position is after the last record added, so a later read resumes at the record that failed.
    /// </summary>
    public bool Read(List<IngestRecord> into, int maxRecords, ref long bytesLeft)
    {
        var durable = _partition.Durable;
        var added = 0;
        while (added < maxRecords && _nextOffset < durable.EndOffset)
        {
            if (_reader is null)
            {
                _reader = Seek(durable);
                continue; // a damaged segment the seek skipped moved the position, maybe to the durable end: check again
            }

            var sealedSegment = _segmentBase < durable.SegmentBase;
            var status = _reader.Next(sealedSegment ? long.MaxValue : durable.Position, out var payload);
            if (status == FrameStatus.Complete)
            {
                if (payload.Length > bytesLeft && into.Count > 0)
                {
                    _reader.Unread(payload.Length);
                    return false;
                }

                bytesLeft -= payload.Length;
                into.Add(new IngestRecord(_partition.Index, _nextOffset++, payload.ToArray()));
                added++;
            }
            else if (sealedSegment)
            {
                MoveToNextSegment(status);
            }
            else
            {
                // Below the durable end every frame was fsync'd whole: this is damage, not a torn write.
                throw new InvalidDataException($"Ingest log partition {_partition.Index}: unreadable record at offset {_nextOffset}.");
            }
        }

        return true;
    }

    /// <summary>Opens the segment holding the next offset and skips to it.</summary>
    private SegmentReader Seek(DurableEnd durable)
    {
        var segment = _partition.FindSegment(_nextOffset);
        if (_nextOffset < segment.BaseOffset)
        {
            LogSkipped(_logger, _partition.Index, _nextOffset, segment.BaseOffset);
            _nextOffset = segment.BaseOffset;
        }

        var (from, position) = _seekStop is (var stopBase, var stopOffset, var stopPosition) && stopBase == segment.BaseOffset && stopOffset <= _nextOffset
            ? (stopOffset, stopPosition)
            : (segment.BaseOffset, 0L);
        var reader = new SegmentReader(segment.Path, position);
        _segmentBase = segment.BaseOffset;
        var sealedSegment = segment.BaseOffset < durable.SegmentBase;
        var limit = sealedSegment ? long.MaxValue : durable.Position;
        for (var offset = from; offset < _nextOffset; offset++)
        {
            FrameStatus status;
            try
            {
                status = reader.Next(limit, out _);
            }
            catch
            {
                _seekStop = (segment.BaseOffset, offset, reader.Position);
                reader.Dispose(); // an I/O error: the next poll seeks again, from here
                throw;
            }

            if (status == FrameStatus.Complete)
            {
                continue;
            }

            _seekStop = (segment.BaseOffset, offset, reader.Position);
            reader.Dispose();
            if (sealedSegment && _partition.NextSegment(segment.BaseOffset) is { } next)
            {
                // A damaged sealed segment: lose its unreadable rest, as a read does (MoveToNextSegment), rather than
                // fail every poll, and with it every start of the consumer, for good.
                LogSkipped(_logger, _partition.Index, _nextOffset, next.BaseOffset);
                _segmentBase = next.BaseOffset;
                _nextOffset = next.BaseOffset;
                return new SegmentReader(next.Path);
            }

            throw new InvalidDataException($"Ingest log partition {_partition.Index}: cannot seek to offset {_nextOffset}.");
        }

        return reader;
    }

    /// <summary>At the end of a sealed segment, continues in the next one.</summary>
    private void MoveToNextSegment(FrameStatus status)
    {
        var next = _partition.NextSegment(_segmentBase)
            ?? throw new InvalidDataException($"Ingest log partition {_partition.Index}: segment {_segmentBase} is sealed but has no successor.");

        // Opened first: when that fails (too many open files), the cursor still reads the old segment and the next
        // poll tries again.
        var reader = new SegmentReader(next.Path);
        if (status == FrameStatus.Corrupt || next.BaseOffset != _nextOffset)
        {
            // A damaged sealed segment: lose its unreadable rest rather than stop the partition for good.
            LogSkipped(_logger, _partition.Index, _nextOffset, next.BaseOffset);
        }

        _reader?.Dispose();
        _reader = reader;
        _segmentBase = next.BaseOffset;
        _nextOffset = next.BaseOffset;
    }

    public void Dispose() => _reader?.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest log partition {Partition}: committed offset {Committed} is past the end {End}; reading from the end.")]
    private static partial void LogCommittedBeyondEnd(ILogger logger, int partition, long committed, long end);

    [LoggerMessage(Level = LogLevel.Error, Message = "Ingest log partition {Partition}: records {From} to {To} are unreadable or reclaimed; skipping them.")]
    private static partial void LogSkipped(ILogger logger, int partition, long from, long to);
}
