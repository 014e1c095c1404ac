using System.Collections.Concurrent;

namespace XRay.Grains.Ingest;

/// <summary>
/// How far this silo's consumer has applied the log: the next offset per partition and a record count.
/// Lets a reader in the same process wait until what was acknowledged before its read is applied.
/// </summary>
public sealed class IngestProgress
{
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(2);
    private readonly ConcurrentDictionary<int, long> _next = new();
    private readonly Queue<(long Timestamp, long Records)> _samples = new();
    private readonly TimeProvider _time;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _recordsApplied;

    public IngestProgress(TimeProvider time) => _time = time;

    public long RecordsApplied => Interlocked.Read(ref _recordsApplied);

    /// <summary>
    /// Records applied per second over the last two seconds. While a backlog exists the consumer is busy
    /// the whole window, so this is then its real throughput.
    /// </summary>
    public double RecentRate
    {
        get
        {
            lock (_samples)
            {
                var now = _time.GetTimestamp();
                Trim(now);
                if (_samples.Count == 0)
                {
                    return 0;
                }

                var (since, records) = _samples.Peek();
                return (RecordsApplied - records) / Math.Max(_time.GetElapsedTime(since, now).TotalSeconds, 0.1);
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

    public void Applied(IReadOnlyList<IngestRecord> records)
    {
        foreach (var record in records)
        {
            _next.AddOrUpdate(record.Partition, record.Offset + 1, (_, current) => Math.Max(current, record.Offset + 1));
        }

        var total = Interlocked.Add(ref _recordsApplied, records.Count);
        lock (_samples)
        {
            var now = _time.GetTimestamp();
            _samples.Enqueue((now, total - records.Count));
            Trim(now);
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
            var changed = Volatile.Read(ref _changed).Task;
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

    private void Trim(long now)
    {
        while (_samples.Count > 1 && _time.GetElapsedTime(_samples.Peek().Timestamp, now) > RateWindow)
        {
            _samples.Dequeue();
        }
    }
}
