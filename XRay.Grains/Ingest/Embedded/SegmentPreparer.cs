using Microsoft.Extensions.Logging;

namespace XRay.Grains.Ingest.Embedded;

/// <summary>
/// Keeps one zero-filled, synced spare segment ready in a partition's directory, written in the background, so that
/// the writer's appends overwrite blocks already allocated and its <c>fdatasync</c> needs no file system journal
/// commit (PostgreSQL pre-zeroes its WAL segments for the same reason). A roll renames the spare into place. When no
/// spare is ready the roll creates an empty segment as before: slower syncs, never a wait.
/// </summary>
/// <remarks>Used by the partition's writer thread only, apart from the preparing thread it starts.</remarks>
internal sealed partial class SegmentPreparer : IDisposable
{
    /// <summary>The spare's file name; it does not end in <c>.log</c>, so it is never listed as a segment.</summary>
    public const string SpareName = "next-segment.spare";

    private const int ChunkBytes = 1 << 20;

    // Synced in steps, so the page cache never holds tens of MB of zeros that the kernel would then write in one
    // burst, queueing the log's own syncs behind them.
    private const int SyncEveryChunks = 4;

    private readonly string _path;
    private readonly long _bytes;
    private readonly int _partition;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _disposed = new();
    private Task<bool>? _preparing;

    public SegmentPreparer(string directory, long bytes, int partition, ILogger logger)
    {
        _path = Path.Combine(directory, SpareName);
        _bytes = bytes;
        _partition = partition;
        _logger = logger;

        // A spare left by a crash may be partly written or not synced: start again.
        File.Delete(_path);
    }

    /// <summary>
    /// Starts writing a spare unless one is ready or being written. A failed attempt also counts until the next roll
    /// takes it, so a full disk costs one attempt per segment.
    /// </summary>
    public void Prepare()
    {
        if (_preparing is not null || _disposed.IsCancellationRequested)
        {
            return;
        }

        _preparing = Task.Factory.StartNew(Write, _disposed.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Moves a ready spare to <paramref name="segmentPath"/>; false when none is ready.</summary>
    public bool TryTake(string segmentPath)
    {
        var preparing = _preparing;
        if (preparing is null || !preparing.IsCompleted)
        {
            return false;
        }

        _preparing = null;
        if (!preparing.IsCompletedSuccessfully || !preparing.Result)
        {
            return false;
        }

        File.Move(_path, segmentPath);
        return true;
    }

    private bool Write()
    {
        try
        {
            using (var handle = File.OpenHandle(_path, FileMode.Create, FileAccess.Write, FileShare.None, FileOptions.None, _bytes))
            {
                var zeros = new byte[ChunkBytes];
                var chunk = 0;
                for (long position = 0; position < _bytes; position += ChunkBytes)
                {
                    _disposed.Token.ThrowIfCancellationRequested();
                    RandomAccess.Write(handle, zeros.AsSpan(0, (int)Math.Min(ChunkBytes, _bytes - position)), position);
                    if (++chunk % SyncEveryChunks == 0)
                    {
                        FileSync.Data(handle);
                    }
                }

                // Size and block map included: the writer's fdatasync after an overwrite relies on them being durable.
                RandomAccess.FlushToDisk(handle);
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogPrepareFailed(_logger, ex, _partition);
            TryDelete();
            return false;
        }
    }

    private void TryDelete()
    {
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
            // Deleted at the next start.
        }
    }

    /// <summary>Stops a spare being written and waits for its thread.</summary>
    public void Dispose()
    {
        _disposed.Cancel();
        try
        {
            _preparing?.Wait();
        }
        catch (AggregateException)
        {
            // Cancelled before it started.
        }

        _disposed.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest log partition {Partition}: could not prepare the next segment; it will be created empty at the roll.")]
    private static partial void LogPrepareFailed(ILogger logger, Exception exception, int partition);
}
