using System.Buffers;

namespace XRay.Sdk.Events;

/// <summary>
/// A worker's reused serialization buffer that will not take more than a limit: an event or a data blob is given up as
/// soon as it passes its limit, rather than once a 200 MB value (or one that never ends) has been serialized whole.
/// Bytes that would pass the limit are never committed: every attempt to commit them throws
/// <see cref="OverLimitException"/> again, so a caller's converter that catches it cannot write on.
/// </summary>
internal sealed class CappedBuffer : IBufferWriter<byte>
{
    /// <summary>
    /// How far past the limit the buffer may grow: the writer asks for room for a value's worst case, and a few KiB
    /// (a segment of a long string, see <see cref="CappedStringConverter"/>) near the limit must still be granted.
    /// </summary>
    internal const int Slack = 64 * 1024;

    private const int InitialBytes = 4096;

    private byte[] _buffer = new byte[InitialBytes];
    private int _written;
    private int _limit = int.MaxValue;

    /// <summary>The bytes the buffer holds on to.</summary>
    public int Capacity => _buffer.Length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    /// <summary>Empties the buffer for a value of at most <paramref name="limit"/> bytes.</summary>
    public void Reset(int limit)
    {
        _written = 0;
        _limit = limit;
    }

    /// <summary>Lets go of a buffer grown past <paramref name="maxRetained"/> bytes: the next value starts small again.</summary>
    public void Trim(int maxRetained)
    {
        if (_buffer.Length > maxRetained)
        {
            _buffer = new byte[InitialBytes];
        }
    }

    public void Advance(int count)
    {
        if (count > _limit - _written)
        {
            throw new OverLimitException();
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Grow(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Grow(sizeHint);
        return _buffer.AsSpan(_written);
    }

    // Utf8JsonWriter asks for room for a value's worst case, at most 3 bytes for each UTF-16 unit it writes (plus a few
    // for quotes and separators): a value that asks for more than 4 × the room left (and the slack) cannot fit, and is
    // refused before the buffer grows to its size (a 64 MiB string would ask for 192 MiB). Doubling stops at the limit
    // and its slack, so a value that ends past the limit costs about the limit, not twice it.
    private void Grow(int sizeHint)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= sizeHint)
        {
            return;
        }

        if (sizeHint - Slack > 4L * (_limit - _written))
        {
            throw new OverLimitException();
        }

        var needed = (long)_written + sizeHint;
        var doubled = Math.Min((long)_buffer.Length * 2, (long)_limit + Slack);
        var grown = new byte[Math.Min(Math.Max(needed, doubled), Array.MaxLength)];
        WrittenSpan.CopyTo(grown);
        _buffer = grown;
    }

    /// <summary>What was written passed the limit: the value is given up.</summary>
    internal sealed class OverLimitException() : Exception("The value is over the limit of its buffer.");
}
