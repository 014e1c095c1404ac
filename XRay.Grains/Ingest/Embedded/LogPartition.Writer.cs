using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using XRay.Grains.Storage;

namespace XRay.Grains.Ingest.Embedded;

/// <summary>The writer thread of a partition: group commit.</summary>
internal sealed partial class LogPartition
{
    // pwritev takes at most IOV_MAX (1024) buffers; one buffer per append.
    private const int MaxBatchAppends = 512;
    private const long MaxBatchBytes = 16 << 20;

    // Routing hints: when the writer took the batch it is writing (0: not writing); appends queued and not yet taken.
    private long _writingSince;
    private int _waiting;

    /// <summary>
    /// Takes everything queued, writes it with one gathered write and one fsync, then completes every caller.
    /// Runs on its own thread: fsync blocks, and on two cores parking pool threads in it would starve the gateway.
    /// </summary>
    private void WriteLoop()
    {
        var batch = new List<PendingAppend>(MaxBatchAppends);
        var frames = new List<ReadOnlyMemory<byte>>(MaxBatchAppends);
        var reader = _queue.Reader;
        while (WaitForAppends(reader))
        {
            Volatile.Write(ref _writingSince, Math.Max(1, Stopwatch.GetTimestamp()));
            long bytes = 0;
            var records = 0;
            while (batch.Count < MaxBatchAppends && bytes < MaxBatchBytes && reader.TryRead(out var append))
            {
                Interlocked.Decrement(ref _waiting);
                if (append.TryTake())
                {
                    batch.Add(append);
                    frames.Add(append.Frames);
                    bytes += append.Frames.Length;
                    records += append.RecordCount;
                }
                else
                {
                    append.ReturnBuffer();
                }
            }

            if (batch.Count > 0)
            {
                WriteBatch(batch, frames, bytes, records);
            }

            Volatile.Write(ref _writingSince, 0);

            foreach (var append in batch)
            {
                append.ReturnBuffer();
            }

            batch.Clear();
            frames.Clear();
        }
    }

    private static bool WaitForAppends(ChannelReader<PendingAppend> reader)
    {
        var wait = reader.WaitToReadAsync();
        return wait.IsCompletedSuccessfully ? wait.Result : wait.AsTask().GetAwaiter().GetResult();
    }

    private void WriteBatch(List<PendingAppend> batch, List<ReadOnlyMemory<byte>> frames, long bytes, int records)
    {
        var fault = _fault;
        if (fault is null)
        {
            try
            {
                if (_activePosition >= _segmentBytes)
                {
                    Roll();
                }

                RandomAccess.Write(_active, frames, _activePosition);
                FileSync.Data(_active);
            }
            catch (Exception ex)
            {
                // After a failed fsync the page cache no longer says what is on disk: stop writing (as PostgreSQL does).
                LogWriteFailed(_logger, ex, Index);
                fault = new IOException($"Ingest log partition {Index} could not write; it takes no more appends until restarted.", ex);
                _fault = fault;
            }
        }

        if (fault is not null)
        {
            foreach (var append in batch)
            {
                append.Fail(fault);
            }

            return;
        }

        _activePosition += bytes;
        _nextOffset += records;
        Volatile.Write(ref _durable, new DurableEnd(_nextOffset, _activeBase, _activePosition));
        _onDurable();
        foreach (var append in batch)
        {
            append.Complete();
        }
    }

    /// <summary>Starts a new segment at the next offset; the current one was fsync'd by the last batch.</summary>
    private void Roll()
    {
        var segment = LogSegment.At(_directory, _nextOffset);
        var handle = File.OpenHandle(segment.Path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        DirectorySync.Flush(_directory);
        _active.Dispose();
        _active = handle;
        _activeBase = _nextOffset;
        _activePosition = 0;
        AddSegment(segment);
        LogSegmentRolled(_logger, Index, segment.BaseOffset);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Ingest log partition {Partition}: write or fsync failed; the partition is closed to appends.")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int partition);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ingest log partition {Partition}: new segment at offset {BaseOffset}.")]
    private static partial void LogSegmentRolled(ILogger logger, int partition, long baseOffset);
}
