using System.Buffers;

namespace XRay.Sdk.Events;

/// <summary>
/// A worker's reused serialization buffer that will not take more than a limit: an event is given up as soon as it
/// passes the gateway's limit, rather than once a 200 MB value (or one that never ends) has been serialized whole.
/// Bytes that would pass the limit are never committed: every attempt to commit them throws
/// <see cref="OverLimitException"/> again, so a caller's converter that catches it cannot write on.
/// </summary>
internal sealed class CappedBuffer : IBufferWriter<byte>
{
    private ArrayBufferWriter<byte> _buffer = new(4096);
    private int _limit = int.MaxValue;

    /// <summary>The bytes the buffer holds on to.</summary>
    public int Capacity => _buffer.Capacity;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    /// <summary>Empties the buffer for a value of at most <paramref name="limit"/> bytes.</summary>
    public void Reset(int limit)
    {
        _buffer.ResetWrittenCount();
        _limit = limit;
    }

    /// <summary>Lets go of a buffer grown past <paramref name="maxRetained"/> bytes: the next value starts small again.</summary>
    public void Trim(int maxRetained)
    {
        if (_buffer.Capacity > maxRetained)
        {
            _buffer = new ArrayBufferWriter<byte>(4096);
        }
    }

    public void Advance(int count)
    {
        if (count > _limit - _buffer.WrittenCount)
        {
            throw new OverLimitException();
        }

        _buffer.Advance(count);
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        CheckRoom(sizeHint);
        return _buffer.GetMemory(sizeHint);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        CheckRoom(sizeHint);
        return _buffer.GetSpan(sizeHint);
    }

    // Utf8JsonWriter asks for room for a value's worst case, at most 3 bytes for each UTF-16 unit it writes (plus a few
    // for quotes and separators): a value that asks for more than 4 × the limit cannot fit, and is refused before the
    // buffer grows to its size (a 64 MiB string would ask for 192 MiB).
    private void CheckRoom(int sizeHint)
    {
        if (sizeHint / 4 > _limit)
        {
            throw new OverLimitException();
        }
    }

    /// <summary>What was written passed the limit: the value is given up.</summary>
    internal sealed class OverLimitException() : Exception("The value is over the limit of its buffer.");
}
