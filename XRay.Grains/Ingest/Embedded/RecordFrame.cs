using System.Buffers.Binary;
using System.Numerics;

namespace XRay.Grains.Ingest.Embedded;

/// <summary>
/// The on-disk frame of one record: <c>[length: int32 LE][crc32c: uint32 LE][payload]</c>. The checksum
/// covers the length bytes and the payload, so a torn or zero-filled tail never passes as a record.
/// </summary>
internal static class RecordFrame
{
    /// <summary>Bytes before the payload.</summary>
    public const int HeaderSize = 8;

    /// <summary>Bytes a record of <paramref name="payloadLength"/> takes on disk.</summary>
    public static int SizeOf(int payloadLength) => HeaderSize + payloadLength;

    /// <summary>Writes the frame of <paramref name="payload"/> at the start of <paramref name="destination"/>.</summary>
    public static int Write(ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        BinaryPrimitives.WriteInt32LittleEndian(destination, payload.Length);
        payload.CopyTo(destination[HeaderSize..]);
        var crc = Checksum(destination[..4], payload);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], crc);
        return HeaderSize + payload.Length;
    }

    /// <summary>
    /// Reads the frame at the start of <paramref name="source"/>. <see cref="FrameStatus.Incomplete"/> when
    /// <paramref name="source"/> ends inside the frame, <see cref="FrameStatus.Corrupt"/> when the checksum fails.
    /// </summary>
    public static FrameStatus TryRead(ReadOnlySpan<byte> source, out ReadOnlySpan<byte> payload, out int frameSize)
    {
        payload = default;
        frameSize = 0;
        if (source.Length < HeaderSize)
        {
            return FrameStatus.Incomplete;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(source);
        if (length < 0)
        {
            return FrameStatus.Corrupt;
        }

        if ((long)HeaderSize + length > source.Length)
        {
            return FrameStatus.Incomplete;
        }

        var body = source.Slice(HeaderSize, length);
        if (BinaryPrimitives.ReadUInt32LittleEndian(source[4..]) != Checksum(source[..4], body))
        {
            return FrameStatus.Corrupt;
        }

        payload = body;
        frameSize = HeaderSize + length;
        return FrameStatus.Complete;
    }

    /// <summary>Reads only the length of the frame at the start of <paramref name="source"/> (no checksum).</summary>
    public static int PeekLength(ReadOnlySpan<byte> source) => BinaryPrimitives.ReadInt32LittleEndian(source);

    /// <summary>CRC-32C (Castagnoli), hardware accelerated where the CPU has it.</summary>
    internal static uint Checksum(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
        => ~Update(Update(uint.MaxValue, header), payload);

    private static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }
}

/// <summary>The outcome of reading one frame.</summary>
internal enum FrameStatus
{
    Complete,
    Incomplete,
    Corrupt,
}
