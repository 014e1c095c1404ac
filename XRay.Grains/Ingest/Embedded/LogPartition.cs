using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using XRay.Grains.Storage;

namespace XRay.Grains.Ingest.Embedded;

/// <summary>
/// One partition of the embedded log: a directory of segment files, the one writer thread that appends to the
/// newest segment (see <c>LogPartition.Writer.cs</c>), and the durable end that consumers read up to.
/// </summary>
internal sealed partial class LogPartition : IDisposable
{
    private readonly string _directory;
    private readonly long _segmentBytes;
    private readonly ILogger _logger;
    private readonly Action _onDurable;
    private readonly Channel<PendingAppend> _queue = Channel.CreateUnbounded<PendingAppend>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
    private readonly Thread _writer;
    private readonly ReclaimedSegments _reclaimed;
    private readonly Lock _segmentsLock = new();
    private LogSegment[] _segments;
    private SafeFileHandle _active;
    private long _activeBase;
    private long _activePosition;
    private long _nextOffset;
    private DurableEnd _durable;
    private volatile Exception? _fault;

    /// <summary>Opens the partition in <paramref name="directory"/>, truncating a torn tail left by a crash.</summary>
    public LogPartition(int index, string directory, long segmentBytes, ILogger logger, Action onDurable)
    {
        Index = index;
        _directory = directory;
        _segmentBytes = segmentBytes;
        _logger = logger;
        _onDurable = onDurable;

        DirectorySync.Create(directory);

        _reclaimed = new ReclaimedSegments(directory, index, logger);
        var segments = LogSegment.List(directory);
        if (segments.Count == 0)
        {
            segments.Add(LogSegment.At(directory, 0));
        }

        var last = segments[^1];
        _active = File.OpenHandle(last.Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        DirectorySync.Flush(directory);
        (var records, _activePosition) = Recover(last);
        _activeBase = last.BaseOffset;
        _nextOffset = last.BaseOffset + records;
        _segments = [.. segments];
        _durable = new DurableEnd(_nextOffset, _activeBase, _activePosition);

        _writer = new Thread(WriteLoop) { IsBackground = true, Name = $"xray-ingest-log-{index}" };
        _writer.Start();
    }

    /// <summary>Partition number.</summary>
    public int Index { get; }

    /// <summary>True once a write or flush failed; the partition takes no more appends until restarted.</summary>
    public bool IsFaulted => _fault is not null;

    /// <summary>What consumers may read.</summary>
    public DurableEnd Durable => Volatile.Read(ref _durable);

    /// <summary>Offset of the oldest record still on disk.</summary>
    public long StartOffset => Volatile.Read(ref _segments)[0].BaseOffset;

    /// <summary>Queues an append for the next group commit; false when faulted or closed.</summary>
    public bool TryEnqueue(PendingAppend append)
    {
        if (_fault is not null)
        {
            return false;
        }

        Interlocked.Increment(ref _waiting);
        if (_queue.Writer.TryWrite(append))
        {
            return true;
        }

        Interlocked.Decrement(ref _waiting);
        return false;
    }

    /// <summary>
    /// When the writer took the batch it is writing and syncing (a <see cref="System.Diagnostics.Stopwatch"/>
    /// timestamp), or <see cref="long.MinValue"/> when it is not writing: then it takes what is queued at once, which
    /// beats any sync in progress. A hint for routing (it may change at once), never for correctness.
    /// </summary>
    public long BusySince => Volatile.Read(ref _writingSince) is var since and not 0 ? since : long.MinValue;

    /// <summary>Appends queued and not yet taken by the writer. A hint for routing, like <see cref="BusySince"/>.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>The segment holding <paramref name="offset"/>, or the oldest one when it was reclaimed.</summary>
    public LogSegment FindSegment(long offset)
    {
        var segments = Volatile.Read(ref _segments);
        for (var i = segments.Length - 1; i > 0; i--)
        {
            if (segments[i].BaseOffset <= offset)
            {
                return segments[i];
            }
        }

        return segments[0];
    }

    /// <summary>The segment after the one starting at <paramref name="baseOffset"/>, if any.</summary>
    public LogSegment? NextSegment(long baseOffset)
        => Array.Find(Volatile.Read(ref _segments), s => s.BaseOffset > baseOffset);

    /// <summary>
    /// Takes out the segments whose records all lie below <paramref name="minCommitted"/> (never the newest), and gives
    /// one step of their space back to the file system (<see cref="ReclaimedSegments"/>).
    /// </summary>
    public void Reclaim(long minCommitted)
    {
        LogSegment[] reclaimed = [];
        lock (_segmentsLock)
        {
            var segments = _segments;
            var keepFrom = 0;
            while (keepFrom < segments.Length - 1 && segments[keepFrom + 1].BaseOffset <= minCommitted)
            {
                keepFrom++;
            }

            if (keepFrom > 0)
            {
                reclaimed = segments[..keepFrom];
                Volatile.Write(ref _segments, segments[keepFrom..]);
            }
        }

        foreach (var segment in reclaimed)
        {
            if (_reclaimed.Add(segment))
            {
                LogSegmentReclaimed(_logger, Index, segment.BaseOffset);
            }
        }

        if (reclaimed.Length > 0)
        {
            // The renames durable before the first trim: a crash never leaves a shortened file under a segment's name.
            DirectorySync.Flush(_directory);
        }

        _reclaimed.Trim();
    }

    /// <summary>Writes what is queued, stops the writer and closes the segment.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _writer.Join();
        _active.Dispose();
        _reclaimed.DeleteAll();
    }

    /// <summary>Counts the valid records of the newest segment and cuts off whatever follows them.</summary>
    private (long Records, long Length) Recover(LogSegment segment)
    {
        long records = 0;
        using var reader = new SegmentReader(segment.Path);
        while (reader.Next(long.MaxValue, out _) == FrameStatus.Complete)
        {
            records++;
        }

        var validLength = reader.Position;
        var fileLength = reader.FileLength;
        if (validLength < fileLength)
        {
            LogTornTail(_logger, Index, segment.Path, fileLength - validLength, validLength);
            RandomAccess.SetLength(_active, validLength);
            RandomAccess.FlushToDisk(_active);
        }

        return (records, validLength);
    }

    private void AddSegment(LogSegment segment)
    {
        lock (_segmentsLock)
        {
            Volatile.Write(ref _segments, [.. _segments, segment]);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest log partition {Partition}: cut {Bytes} bytes of torn tail from {Path} at {Position} (left by a crash).")]
    private static partial void LogTornTail(ILogger logger, int partition, string path, long bytes, long position);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ingest log partition {Partition}: reclaimed segment {BaseOffset}.")]
    private static partial void LogSegmentReclaimed(ILogger logger, int partition, long baseOffset);
}
