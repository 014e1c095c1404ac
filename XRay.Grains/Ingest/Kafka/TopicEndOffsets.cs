using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace XRay.Grains.Ingest.Kafka;

/// <summary>
/// The end offsets of <see cref="KafkaIngestLog"/>'s topic, answered from memory almost always: per partition the larger
/// of the broker's high watermark, queried at most every <c>EndOffsetsRefresh</c> (one query in flight, shared by every
/// caller), and the end of this process's own acknowledged appends, known exactly from their delivery reports.
/// </summary>
internal sealed partial class TopicEndOffsets
{
    private readonly Func<Task<long[]>> _query;
    private readonly TimeSpan _refresh;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();

    // Boxes, so growing the array never loses a concurrent update: the grown array holds the same boxes.
    private StrongBox<long>[] _acknowledged;
    private Watermarks? _watermarks;
    private Task<Watermarks>? _refreshing;

    /// <summary>
    /// <paramref name="query"/> reads the high watermark of every partition from the brokers; <paramref name="refresh"/>
    /// is how long its answer serves (zero: every call queries, as the log did before it cached).
    /// </summary>
    public TopicEndOffsets(Func<Task<long[]>> query, TimeSpan refresh, int partitions, TimeProvider time, ILogger logger)
    {
        _query = query;
        _refresh = refresh;
        _time = time;
        _logger = logger;
        _acknowledged = NewBoxes(0, partitions);
    }

    /// <summary>The broker acknowledged this process's record at <paramref name="offset"/> of <paramref name="partition"/>.</summary>
    public void Acknowledged(int partition, long offset)
    {
        if (partition < 0 || offset < 0)
        {
            return; // no position reported (a fake or failed delivery)
        }

        var boxes = Volatile.Read(ref _acknowledged);
        while (partition >= boxes.Length)
        {
            // Partitions were added to the topic: grow, keeping the boxes; a racing grower's array wins or ours does.
            var grown = NewBoxes(boxes.Length, partition + 1);
            boxes.CopyTo(grown, 0);
            var seen = Interlocked.CompareExchange(ref _acknowledged, grown, boxes);
            boxes = ReferenceEquals(seen, boxes) ? grown : seen;
        }

        RaiseTo(ref boxes[partition].Value, offset + 1);
    }

    /// <summary>
    /// Per partition, the larger of the cached high watermark and this process's acknowledged end. A cached answer older
    /// than the refresh interval is refreshed first (callers share the query in flight); when that query fails, a caller
    /// gets the last answer that succeeded, and only a caller without one gets the failure.
    /// </summary>
    public async ValueTask<IReadOnlyList<long>> GetAsync(CancellationToken cancellationToken)
    {
        if (_refresh == TimeSpan.Zero)
        {
            return Merge(await _query().WaitAsync(cancellationToken).ConfigureAwait(false));
        }

        var cached = Volatile.Read(ref _watermarks);
        if (cached is not null && IsFresh(cached))
        {
            return Merge(cached.Ends);
        }

        try
        {
            cached = await RefreshAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested && Volatile.Read(ref _watermarks) is { } last)
        {
            cached = last; // logged by the refresh; the next caller queries again
        }

        return Merge(cached.Ends);
    }

    private bool IsFresh(Watermarks watermarks) => _time.GetElapsedTime(watermarks.QueriedAt) < _refresh;

    /// <summary>The query in flight, or a new one; completes after the cache took its answer.</summary>
    private Task<Watermarks> RefreshAsync()
    {
        TaskCompletionSource<Watermarks> refresh;
        lock (_gate)
        {
            if (_refreshing is { } inFlight)
            {
                return inFlight;
            }

            if (_watermarks is { } cached && IsFresh(cached))
            {
                return Task.FromResult(cached); // refreshed since this caller looked
            }

            refresh = new TaskCompletionSource<Watermarks>(TaskCreationOptions.RunContinuationsAsynchronously);
            _refreshing = refresh.Task;
        }

        _ = QueryAsync(refresh);
        return refresh.Task;
    }

    private async Task QueryAsync(TaskCompletionSource<Watermarks> refresh)
    {
        // Stamped before the query: the answer covers every record acknowledged before this moment.
        var started = _time.GetTimestamp();
        try
        {
            var watermarks = new Watermarks(await _query().ConfigureAwait(false), started);
            Volatile.Write(ref _watermarks, watermarks);
            EndRefresh();
            refresh.SetResult(watermarks);
        }
        catch (Exception ex)
        {
            LogRefreshFailed(_logger, ex);
            EndRefresh();
            refresh.SetException(ex);
            _ = refresh.Task.Exception; // observed: callers may all have been cancelled, or answered from the cache
        }
    }

    private void EndRefresh()
    {
        lock (_gate)
        {
            _refreshing = null;
        }
    }

    private long[] Merge(long[] watermarks)
    {
        var own = Volatile.Read(ref _acknowledged);
        var length = watermarks.Length;
        for (var partition = length; partition < own.Length; partition++)
        {
            // A partition the broker's answer did not know yet, which this process has appended to already.
            if (Volatile.Read(ref own[partition].Value) > 0)
            {
                length = partition + 1;
            }
        }

        var ends = new long[length];
        for (var partition = 0; partition < length; partition++)
        {
            var acknowledged = partition < own.Length ? Volatile.Read(ref own[partition].Value) : 0;
            ends[partition] = Math.Max(partition < watermarks.Length ? watermarks[partition] : 0, acknowledged);
        }

        return ends;
    }

    private static void RaiseTo(ref long target, long value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private static StrongBox<long>[] NewBoxes(int from, int length)
    {
        var boxes = new StrongBox<long>[length];
        for (var partition = from; partition < length; partition++)
        {
            boxes[partition] = new StrongBox<long>();
        }

        return boxes;
    }

    /// <summary>High watermarks per partition, and the timestamp (<see cref="TimeProvider"/>) of the query's start.</summary>
    private sealed record Watermarks(long[] Ends, long QueriedAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the Kafka topic's end offsets failed; callers get the last answer read, if any, and the next call tries again.")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
