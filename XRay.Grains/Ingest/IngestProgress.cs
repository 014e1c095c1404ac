using System.Collections.Concurrent;

namespace XRay.Grains.Ingest;

/// <summary>
/// How far this silo's consumer has applied the log: the next offset per partition and a record count.
/// Lets a reader in the same process wait until what was acknowledged before its read is applied.
/// </summary>
public sealed class IngestProgress
{
    private readonly ConcurrentDictionary<int, long> _next = new();
    private const int RateWindowBatches = 16;
    private readonly Lock _rateLock = new();
    private readonly Queue<(int Records, TimeSpan Busy)> _recent = new();
    private long _windowRecords;
    private TimeSpan _windowBusy;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _recordsApplied;

    public long RecordsApplied => Interlocked.Read(ref _recordsApplied);

    /// <summary>
    /// Records the consumer applies per second while it is busy, over its last batches (0 before the first).
    /// Time spent idle waiting for records does not count, so refusing ingest does not make the consumer
    /// look slower than it is; summing records and busy time (not averaging ratios) keeps two batches that
    /// complete together from looking infinitely fast.
    /// </summary>
    public double ApplyRate
    {
        get
        {
            lock (_rateLock)
            {
                return _windowBusy > TimeSpan.Zero ? _windowRecords / _windowBusy.TotalSeconds : 0;
            }
        }
    }

    /// <summary>Records acknowledged (below <paramref name="endOffsets"/>) but not yet applied.</summary>
    public long Backlog(IReadOnlyList<long> endOffsets)
    {
        long backlog = 0;
        for (var partition = 0; partition < endOffsets.Count; partition++)
        {
            backlog += Math.Max(0, endOffsets[partition] - NextOffset(partition));
        }

        return backlog;
    }

    /// <summary>Completes at the next change of the applied offsets (take it before reading them, then await it).</summary>
    public Task Changed => Volatile.Read(ref _changed).Task;

    /// <summary>The offset after the last applied record of a partition (0 when none).</summary>
    public long NextOffset(int partition) => _next.TryGetValue(partition, out var next) ? next : 0;

    /// <summary>Starts from the group's committed offsets: everything below them was applied by an earlier run.</summary>
    public void Resume(IReadOnlyList<long> committed)
    {
        for (var partition = 0; partition < committed.Count; partition++)
        {
            var offset = committed[partition];
            _next.AddOrUpdate(partition, offset, (_, current) => Math.Max(current, offset));
        }

        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>A batch was applied and committed; <paramref name="busy"/> is the consumer time it took.</summary>
    public void Applied(IReadOnlyList<IngestRecord> records, TimeSpan busy)
    {
        foreach (var record in records)
        {
            _next.AddOrUpdate(record.Partition, record.Offset + 1, (_, current) => Math.Max(current, record.Offset + 1));
        }

        Interlocked.Add(ref _recordsApplied, records.Count);
        lock (_rateLock)
        {
            _recent.Enqueue((records.Count, busy));
            _windowRecords += records.Count;
            _windowBusy += busy;
            if (_recent.Count > RateWindowBatches)
            {
                var (oldRecords, oldBusy) = _recent.Dequeue();
                _windowRecords -= oldRecords;
                _windowBusy -= oldBusy;
            }
        }

        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>Waits until every partition has applied up to the given end offsets, or the timeout passes; returns whether it did.</summary>
    public async Task<bool> WaitForAsync(IReadOnlyList<long> endOffsets, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        while (true)
        {
            var changed = Changed;
            if (endOffsets.Select((end, partition) => NextOffset(partition) >= end).All(caughtUp => caughtUp))
            {
                return true;
            }

            try
            {
                await changed.WaitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return false;
            }
        }
    }
}
