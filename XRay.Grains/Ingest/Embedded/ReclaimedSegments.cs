using Microsoft.Extensions.Logging;

namespace XRay.Grains.Ingest.Embedded;

/// <summary>
/// Segments no group needs any more, given back to the file system a few MiB at a time instead of deleted whole. On a
/// file system mounted with online discard (ext4 <c>-o discard</c>, usual on cloud and virtual disks) deleting a
/// 64 MiB segment discards all its blocks at the next journal commit, and every log <c>fdatasync</c> that needs a
/// commit meanwhile waits for the device to finish: tens of milliseconds on every ACK in flight. Trimming a file from
/// its end after each offset commit spreads those discards out.
/// </summary>
/// <remarks>
/// A segment is renamed out of the segment namespace before its first trim, so a crash mid-way leaves no torn segment
/// for a new consumer group to read; a start deletes what is left. Each step trims at least <see cref="DefaultMinStepBytes"/>
/// (4 MiB by default) and a sixteenth of what is waiting, so the queue drains however fast segments arrive.
/// </remarks>
internal sealed partial class ReclaimedSegments
{
    /// <summary>Appended to a reclaimed segment's file name; <see cref="LogSegment.List"/> ignores such files.</summary>
    public const string Extension = ".reclaimed";

    /// <summary>The least a <see cref="Trim"/> gives back (when anything waits).</summary>
    public const long DefaultMinStepBytes = 4 << 20;

    private readonly Queue<ReclaimedFile> _files = new();
    private readonly Lock _lock = new();
    private readonly int _partition;
    private readonly ILogger _logger;
    private readonly long _minStepBytes;
    private long _bytes;

    /// <summary>Deletes what a previous run left in <paramref name="directory"/>.</summary>
    public ReclaimedSegments(string directory, int partition, ILogger logger, long minStepBytes = DefaultMinStepBytes)
    {
        _partition = partition;
        _logger = logger;
        _minStepBytes = minStepBytes;
        foreach (var path in Directory.EnumerateFiles(directory, "*" + Extension))
        {
            _ = Delete(path);
        }
    }

    /// <summary>Bytes of reclaimed segments not yet given back.</summary>
    public long PendingBytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>
    /// Takes <paramref name="segment"/> out of the log; its space is given back by later <see cref="Trim"/> calls.
    /// False when it could not be renamed (it is then left as it is, and logged).
    /// </summary>
    public bool Add(LogSegment segment)
    {
        var path = segment.Path + Extension;
        try
        {
            File.Move(segment.Path, path);
            var length = new FileInfo(path).Length;
            lock (_lock)
            {
                _files.Enqueue(new ReclaimedFile(path) { Length = length });
                _bytes += length;
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogRenameFailed(_logger, ex, _partition, segment.Path);
            return false;
        }
    }

    /// <summary>Gives back one step's worth of reclaimed space: shortens the oldest file(s), deleting one whose rest fits the step.</summary>
    public void Trim()
    {
        lock (_lock)
        {
            var budget = Math.Max(_minStepBytes, _bytes / 16);
            while (budget > 0 && _files.TryPeek(out var file))
            {
                var cut = Math.Min(budget, file.Length);
                var remaining = file.Length - cut;
                if (!(remaining == 0 ? Delete(file.Path) : Shorten(file.Path, remaining)))
                {
                    // Gone or failing: forget it; a start deletes whatever is left.
                    _files.Dequeue();
                    _bytes -= file.Length;
                    continue;
                }

                budget -= cut;
                _bytes -= cut;
                file.Length = remaining;
                if (remaining == 0)
                {
                    _files.Dequeue();
                }
            }
        }
    }

    /// <summary>Deletes whatever is still waiting (at shutdown: no ACK waits on the journal any more).</summary>
    public void DeleteAll()
    {
        lock (_lock)
        {
            while (_files.TryDequeue(out var file))
            {
                _ = Delete(file.Path);
            }

            _bytes = 0;
        }
    }

    private bool Shorten(string path, long length)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            RandomAccess.SetLength(handle, length);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogReclaimFailed(_logger, ex, _partition, path);
            return false;
        }
    }

    private bool Delete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogReclaimFailed(_logger, ex, _partition, path);
            return false;
        }
    }

    private sealed class ReclaimedFile(string path)
    {
        public string Path { get; } = path;

        public long Length { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest log partition {Partition}: could not take reclaimed segment {Path} out of the log; it stays on disk.")]
    private static partial void LogRenameFailed(ILogger logger, Exception exception, int partition, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest log partition {Partition}: could not give back the space of reclaimed segment {Path}.")]
    private static partial void LogReclaimFailed(ILogger logger, Exception exception, int partition, string path);
}
