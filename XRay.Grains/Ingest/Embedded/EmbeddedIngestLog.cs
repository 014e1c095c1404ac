using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using XRay.Grains.Options;

namespace XRay.Grains.Ingest.Embedded;

/// <summary>
/// The default <see cref="IIngestLog"/>: an append-only log on local disk with group commit. Each append goes
/// whole to one partition (round-robin); a partition's writer thread writes everything queued with one write and
/// one fsync, then acknowledges every caller. Consumers read only what is durable. See <c>docs/ingest-log.md</c>.
/// </summary>
public sealed partial class EmbeddedIngestLog : IIngestLog, IAsyncDisposable, IDisposable
{
    private const string OffsetsDirectory = "offsets";
    private const string PartitionPrefix = "partition-";

    private readonly EmbeddedIngestLogOptions _options;
    private readonly LogPartition[] _partitions;
    private readonly GroupOffsetStore _offsets;
    private readonly LogDirectoryLock _lock;
    private TaskCompletionSource _durableSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _nextPartition = -1;
    private int _disposed;

    /// <summary>Opens (or creates) the log in the configured directory, recovering from a crash if needed.</summary>
    public EmbeddedIngestLog(IOptions<EmbeddedIngestLogOptions> options, ILogger<EmbeddedIngestLog> logger, TimeProvider timeProvider)
    {
        _options = options.Value;
        Logger = logger;
        TimeProvider = timeProvider;
        var directory = Path.GetFullPath(_options.Directory);
        _lock = LogDirectoryLock.Acquire(directory); // before recovery, which would cut another writer's batch in progress
        _partitions = new LogPartition[_options.Partitions];
        try
        {
            RefuseDroppedPartitions(directory, _options.Partitions);
            _offsets = new GroupOffsetStore(Path.Combine(directory, OffsetsDirectory), _options.Partitions);
            for (var p = 0; p < _partitions.Length; p++)
            {
                _partitions[p] = new LogPartition(p, Path.Combine(directory, PartitionPrefix + p.ToString(CultureInfo.InvariantCulture)), _options.SegmentBytes, logger, SignalDurable);
            }

            foreach (var group in _offsets.LowerPast(Array.ConvertAll(_partitions, p => p.Durable.EndOffset)))
            {
                LogCommittedBeyondEnd(logger, group);
            }
        }
        catch
        {
            // Stop the writer threads of the partitions already open, or they would outlive the failed start.
            foreach (var partition in _partitions.Where(p => p is not null))
            {
                partition.Dispose();
            }

            _offsets?.Dispose();
            _lock.Dispose();
            throw;
        }

        LogOpened(logger, directory, _partitions.Length, _partitions.Sum(p => p.Durable.EndOffset - p.StartOffset));
    }

    /// <summary>
    /// Refuses to open when a partition beyond <paramref name="partitions"/> holds records: <c>Ingest:Log:Partitions</c>
    /// was lowered, and those records, acknowledged, would never be read.
    /// </summary>
    private static void RefuseDroppedPartitions(string directory, int partitions)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }

        foreach (var path in Directory.EnumerateDirectories(directory, PartitionPrefix + "*"))
        {
            if (int.TryParse(Path.GetFileName(path).AsSpan(PartitionPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                && index >= partitions && LogSegment.List(path).Any(segment => new FileInfo(segment.Path).Length > 0))
            {
                throw new InvalidOperationException(
                    $"The ingest log in '{directory}' holds records in {PartitionPrefix}{index}, but Ingest:Log:Partitions is {partitions}: " +
                    $"they would never be read. Set Ingest:Log:Partitions to {index + 1} or more; or, once every consumer group has read " +
                    $"them (no lag), stop the server and delete '{path}'.");
            }
        }
    }

    /// <inheritdoc />
    public string Topic => _options.Topic;

    /// <inheritdoc />
    public int PartitionCount => _partitions.Length;

    /// <inheritdoc />
    public int MaxRecordBytes => _options.MaxRecordBytes;

    internal IReadOnlyList<LogPartition> Partitions => _partitions;

    internal ILogger Logger { get; }

    internal TimeProvider TimeProvider { get; }

    /// <summary>Completes at the next group commit of any partition; take it before looking for records.</summary>
    internal Task DurableSignal => Volatile.Read(ref _durableSignal).Task;

    /// <inheritdoc />
    /// <remarks>
    /// When cancelled before its group commit starts the append is withdrawn and throws
    /// <see cref="OperationCanceledException"/>; once the commit has started, the call waits for its outcome.
    /// </remarks>
    public ValueTask AppendAsync(IReadOnlyList<ReadOnlyMemory<byte>> records, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (records.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        cancellationToken.ThrowIfCancellationRequested();
        var append = PendingAppend.Frame(records, _options.MaxRecordBytes);
        append.RegisterCancellation(cancellationToken);
        var first = (uint)Interlocked.Increment(ref _nextPartition);

        // An idle partition writes the append at once. On a busy one it waits for the sync in progress, then for its own:
        // join the shortest queue (at the maximum rate that keeps every writer fed); among equals, the partition whose
        // sync started first, the likeliest to end first.
        if (ShortestWait(first) is { } next && next.TryEnqueue(append))
        {
            return new ValueTask(append.Completion);
        }

        for (var i = 0; i < _partitions.Length; i++)
        {
            // A faulted partition is skipped, so one bad file does not stop ingestion.
            if (_partitions[(int)((first + i) % (uint)_partitions.Length)].TryEnqueue(append))
            {
                return new ValueTask(append.Completion);
            }
        }

        Exception failure = Volatile.Read(ref _disposed) != 0
            ? new ObjectDisposedException(nameof(EmbeddedIngestLog))
            : new IOException("Every partition of the ingest log has failed; restart to recover.");
        append.Fail(failure);
        append.ReturnBuffer();
        return new ValueTask(append.Completion);
    }

    /// <summary>
    /// Of the partitions not faulted, the one with the fewest appends queued and, among those, one between batches
    /// (its writer takes the queue at once; with nothing queued, an idle one), else the one writing since the longest
    /// time (ties: round-robin from <paramref name="first"/>).
    /// </summary>
    private LogPartition? ShortestWait(uint first)
    {
        LogPartition? best = null;
        var bestKey = (Waiting: int.MaxValue, Since: long.MaxValue);
        for (var i = 0; i < _partitions.Length; i++)
        {
            var partition = _partitions[(int)((first + i) % (uint)_partitions.Length)];
            var key = (partition.Waiting, partition.BusySince);
            if (!partition.IsFaulted && (best is null || key.CompareTo(bestKey) < 0))
            {
                best = partition;
                bestKey = key;
            }
        }

        return best;
    }

    /// <inheritdoc />
    /// <remarks>The consumer reads every partition; run one consumer per group.</remarks>
    public IIngestConsumer Subscribe(string group)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ValidateGroup(group);
        return new EmbeddedIngestConsumer(this, group, _offsets.Get(group));
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<long>> GetEndOffsetsAsync(CancellationToken cancellationToken = default)
        => ValueTask.FromResult<IReadOnlyList<long>>(Array.ConvertAll(_partitions, p => p.Durable.EndOffset));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<long>> GetCommittedOffsetsAsync(string group, CancellationToken cancellationToken = default)
    {
        ValidateGroup(group);
        var committed = _offsets.TryGet(group) ?? new long[_partitions.Length];
        for (var p = 0; p < committed.Length; p++)
        {
            committed[p] = Math.Max(committed[p], _partitions[p].StartOffset);
        }

        return ValueTask.FromResult<IReadOnlyList<long>>(committed);
    }

    /// <summary>Persists a group's offsets, then deletes the segments no group needs any more.</summary>
    internal async ValueTask CommitAsync(string group, long[] offsets, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _offsets.CommitAsync(group, offsets, cancellationToken).ConfigureAwait(false);
        foreach (var partition in _partitions)
        {
            partition.Reclaim(_offsets.MinCommitted(partition.Index));
        }
    }

    /// <summary>Writes what is queued, then closes every segment.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var partition in _partitions)
        {
            partition.Dispose();
        }

        _offsets.Dispose();
        _lock.Dispose();

        SignalDurable();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private void SignalDurable()
        => Interlocked.Exchange(ref _durableSignal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>
    /// The longest group: a group's offsets are kept in <c>{group}.offsets</c>, and a file name has at most 255 bytes.
    /// </summary>
    internal const int MaxGroupLength = 200;

    /// <summary>
    /// Whether <paramref name="group"/> can name a file here: 1 to <see cref="MaxGroupLength"/> ASCII letters, digits,
    /// '-', '_' and '.', and not a hidden or relative path. The consumer's options are checked against it at start.
    /// </summary>
    internal static bool IsValidGroup(string? group)
        => !string.IsNullOrEmpty(group) && group.Length <= MaxGroupLength && group[0] != '.'
            && group.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static void ValidateGroup(string group)
    {
        if (!IsValidGroup(group))
        {
            throw new ArgumentException($"Consumer group '{group}' must be 1-{MaxGroupLength} letters, digits, '-', '_' or '.', not starting with '.'.", nameof(group));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest log: consumer group {Group} had committed past the end of the log (it lost its tail or was replaced); its offsets were lowered to the end.")]
    private static partial void LogCommittedBeyondEnd(ILogger logger, string group);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingest log opened at {Directory}: {Partitions} partitions, {Records} records retained.")]
    private static partial void LogOpened(ILogger logger, string directory, int partitions, long records);
}
