using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;

namespace XRay.Grains.Ingest.Embedded;

/// <summary>A consumer of the embedded log: reads every partition from the group's committed offsets.</summary>
internal sealed partial class EmbeddedIngestConsumer : IIngestConsumer
{
    private readonly EmbeddedIngestLog _log;
    private readonly string _group;
    private readonly PartitionCursor[] _cursors;
    private readonly bool[] _failing;
    private int _firstPartition;

    // Damage a poll met after it had taken records: those are returned (the cursors moved past them), this is thrown next.
    private ExceptionDispatchInfo? _deferredFailure;

    public EmbeddedIngestConsumer(EmbeddedIngestLog log, string group, long[] committed)
    {
        _log = log;
        _group = group;
        _cursors = new PartitionCursor[log.PartitionCount];
        _failing = new bool[log.PartitionCount];
        for (var p = 0; p < _cursors.Length; p++)
        {
            _cursors[p] = new PartitionCursor(log.Partitions[p], committed[p], log.Logger);
        }
    }

    public async ValueTask<IReadOnlyList<IngestRecord>> PollAsync(int maxRecords, long maxBytes, TimeSpan maxWait, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRecords, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        var started = _log.TimeProvider.GetTimestamp();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_deferredFailure is { } failure)
            {
                _deferredFailure = null;
                failure.Throw();
            }

            // Taken before reading, so a commit landing between the read and the wait still wakes us.
            var signal = _log.DurableSignal;
            var records = ReadAvailable(maxRecords, maxBytes);
            var remaining = Remaining(maxWait, _log.TimeProvider.GetElapsedTime(started));
            if (records.Count > 0 || remaining == TimeSpan.Zero)
            {
                return records;
            }

            await signal.WaitAsync(remaining, _log.TimeProvider, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public ValueTask CommitAsync(IReadOnlyList<IngestRecord> records, CancellationToken cancellationToken = default)
    {
        if (records.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        var offsets = new long[_cursors.Length];
        foreach (var record in records)
        {
            offsets[record.Partition] = Math.Max(offsets[record.Partition], record.Offset + 1);
        }

        return _log.CommitAsync(_group, offsets, cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        foreach (var cursor in _cursors)
        {
            cursor.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>What is left of <paramref name="maxWait"/>, as a timeout <see cref="Task.WaitAsync(TimeSpan)"/> accepts.</summary>
    private static TimeSpan Remaining(TimeSpan maxWait, TimeSpan elapsed)
    {
        if (maxWait == Timeout.InfiniteTimeSpan)
        {
            return maxWait;
        }

        var remaining = maxWait - elapsed;
        return remaining <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Min(remaining.TotalMilliseconds, int.MaxValue));
    }

    /// <summary>Reads what is durable, starting with a different partition each time so none starves.</summary>
    /// <remarks>
    /// Sized to what is there: a poll wakes after every group commit of any partition, and a list sized for a full
    /// batch each time was a third of the gateway's allocations at half the maximum rate. A partition that cannot be
    /// read for now (an I/O error: a segment that cannot be opened, too many open files) holds up no other and is not
    /// thrown: the poll returns what the others had, or waits for them as usual, and tries it again at every read,
    /// logging it once per spell. Damage below the durable end (<see cref="InvalidDataException"/>) is thrown, as
    /// before: appends would go on behind the bad frame and be lost with it, so the consumer stops the host. When the
    /// poll had taken records before it met the damage, it returns them and the next poll throws.
    /// </remarks>
    private List<IngestRecord> ReadAvailable(int maxRecords, long maxBytes)
    {
        long available = 0;
        foreach (var cursor in _cursors)
        {
            available += cursor.Available;
        }

        if (available == 0)
        {
            return [];
        }

        var records = new List<IngestRecord>((int)Math.Min(maxRecords, available));
        var bytesLeft = maxBytes;
        for (var i = 0; i < _cursors.Length && records.Count < maxRecords; i++)
        {
            var partition = (_firstPartition + i) % _cursors.Length;
            bool more;
            try
            {
                more = _cursors[partition].Read(records, maxRecords - records.Count, ref bytesLeft);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                if (!_failing[partition])
                {
                    // Once per spell of failures: with records in the others, every poll would log it again.
                    _failing[partition] = true;
                    LogPartitionReadFailed(_log.Logger, ex, partition);
                }

                continue;
            }
            catch (Exception ex) when (records.Count > 0)
            {
                // Thrown now, the records taken would be lost with this list while the cursors stay past them: a poll
                // that did not meet the damage (another partition filling it first) would go on after them, and its
                // commit would skip them for good. As a Kafka poll does, return them and throw at the next poll.
                _deferredFailure = ExceptionDispatchInfo.Capture(ex);
                break;
            }

            if (_failing[partition])
            {
                _failing[partition] = false;
                LogPartitionReadRecovered(_log.Logger, partition);
            }

            if (!more)
            {
                break; // the byte bound
            }
        }

        _firstPartition = (_firstPartition + 1) % _cursors.Length;
        return records;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest log partition {Partition}: reading failed; the other partitions are still read, and this one is tried again at every poll until it reads.")]
    private static partial void LogPartitionReadFailed(ILogger logger, Exception exception, int partition);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingest log partition {Partition}: reading again.")]
    private static partial void LogPartitionReadRecovered(ILogger logger, int partition);
}
