using Microsoft.Win32.SafeHandles;

namespace XRay.Grains.Ingest.Embedded;

/// <summary>
/// Reads frames of one segment file sequentially through a buffer, so a scan costs one read per
/// megabyte rather than one per record. Used by start-up recovery and by consumers.
/// </summary>
internal sealed class SegmentReader : IDisposable
{
    private const int DefaultBufferSize = 1 << 20;

    private readonly SafeFileHandle _handle;
    private byte[] _buffer = new byte[DefaultBufferSize];
    private long _bufferFilePosition;
    private int _start;
    private int _end;

    public SegmentReader(string path, long position = 0)
    {
        // Share Delete so reclamation may rename and trim a segment a reader still holds open (it then reads to the
        // shortened end and moves on, as at a damaged sealed segment).
        _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        _bufferFilePosition = position;
    }

    /// <summary>File position of the next unread frame.</summary>
    public long Position => _bufferFilePosition + _start;

    /// <summary>Current length of the file.</summary>
    public long FileLength => RandomAccess.GetLength(_handle);

    /// <summary>
    /// Reads the next frame that ends at or before <paramref name="limit"/> (a file position).
    /// <paramref name="payload"/> is valid until the next call.
    /// </summary>
    public FrameStatus Next(long limit, out ReadOnlySpan<byte> payload)
    {
        while (true)
        {
            var status = RecordFrame.TryRead(_buffer.AsSpan(_start, _end - _start), out payload, out var frameSize);
            if (status == FrameStatus.Complete)
            {
                _start += frameSize;
                return status;
            }

            if (status == FrameStatus.Corrupt || !Fill(limit))
            {
                return status;
            }
        }
    }

    /// <summary>
    /// Steps back over the frame <see cref="Next"/> just returned (its payload <paramref name="payloadLength"/> bytes
    /// long), so that the next call returns it again. Only right after a <see cref="FrameStatus.Complete"/>.
    /// </summary>
    public void Unread(int payloadLength) => _start -= RecordFrame.SizeOf(payloadLength);

    /// <summary>Reads more bytes after what is buffered; false when none are left before <paramref name="limit"/>.</summary>
    private bool Fill(long limit)
    {
        var filePosition = _bufferFilePosition + _end;
        if (filePosition >= limit)
        {
            return false;
        }

        Compact();
        if (_end == _buffer.Length)
        {
            // A frame larger than the buffer: grow to hold it, bounded by what the file can hold.
            var needed = RecordFrame.HeaderSize + (long)RecordFrame.PeekLength(_buffer);
            if (needed > Array.MaxLength || needed > Math.Min(limit, FileLength) - _bufferFilePosition)
            {
                return false;
            }

            Array.Resize(ref _buffer, (int)needed);
        }

        var room = (int)Math.Min(_buffer.Length - _end, limit - filePosition);
        var read = RandomAccess.Read(_handle, _buffer.AsSpan(_end, room), filePosition);
        _end += read;
        return read > 0;
    }

    private void Compact()
    {
        if (_start == 0)
        {
            return;
        }

        _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
        _bufferFilePosition += _start;
        _end -= _start;
        _start = 0;
    }

    public void Dispose() => _handle.Dispose();
}
