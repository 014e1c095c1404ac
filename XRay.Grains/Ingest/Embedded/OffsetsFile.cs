using System.Buffers.Binary;
using XRay.Grains.Storage;

namespace XRay.Grains.Ingest.Embedded;

/// <summary>
/// A consumer group's committed offsets on disk: two fixed 4 KiB slots, each
/// <c>[magic][sequence: int64][count: int32][offsets: int64 × count][crc32c]</c>. A commit overwrites the older
/// slot and fsyncs once (no new file, no rename, no directory sync); a write torn by a crash spoils only that
/// slot, and reading takes the valid slot with the higher sequence.
/// </summary>
internal static class OffsetsFile
{
    public const string Extension = ".offsets";
    private const int SlotSize = 4096;
    private const int HeaderSize = 16;
    private const uint Magic = 0x314F5258; // "XRO1"

    /// <summary>Most partitions a slot holds.</summary>
    public const int MaxPartitions = (SlotSize - HeaderSize - 4) / 8;

    /// <summary>Creates the file holding <paramref name="offsets"/> as sequence 1: via a temporary file and a rename, once per group.</summary>
    public static void Create(string path, long[] offsets)
    {
        var temporary = path + ".tmp";
        using (var handle = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write))
        {
            RandomAccess.Write(handle, new byte[2 * SlotSize], 0);
            WriteSlot(handle, 1, offsets);
        }

        File.Move(temporary, path, overwrite: true);
        DirectorySync.Flush(Path.GetDirectoryName(path)!);
    }

    /// <summary>Writes <paramref name="offsets"/> as <paramref name="sequence"/> into the slot the previous commit did not use.</summary>
    public static void Write(string path, long sequence, long[] offsets)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write);
        WriteSlot(handle, sequence, offsets);
    }

    /// <summary>The latest valid commit in the file.</summary>
    public static (long Sequence, long[] Offsets) Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var best = (Sequence: 0L, Offsets: Array.Empty<long>());
        for (var slot = 0; slot * SlotSize + SlotSize <= bytes.Length; slot++)
        {
            if (TryParse(bytes.AsSpan(slot * SlotSize, SlotSize), out var sequence, out var offsets) && sequence > best.Sequence)
            {
                best = (sequence, offsets);
            }
        }

        return best.Sequence > 0
            ? best
            : throw new InvalidDataException($"No valid commit in '{path}'; delete it to make the group start from the oldest record.");
    }

    private static void WriteSlot(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long sequence, long[] offsets)
    {
        var slot = new byte[SlotSize];
        BinaryPrimitives.WriteUInt32LittleEndian(slot, Magic);
        BinaryPrimitives.WriteInt64LittleEndian(slot.AsSpan(4), sequence);
        BinaryPrimitives.WriteInt32LittleEndian(slot.AsSpan(12), offsets.Length);
        for (var p = 0; p < offsets.Length; p++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(slot.AsSpan(HeaderSize + (8 * p)), offsets[p]);
        }

        var end = HeaderSize + (8 * offsets.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(slot.AsSpan(end), RecordFrame.Checksum(slot.AsSpan(0, end), default));
        RandomAccess.Write(handle, slot, (sequence % 2) * SlotSize);
        RandomAccess.FlushToDisk(handle);
    }

    private static bool TryParse(ReadOnlySpan<byte> slot, out long sequence, out long[] offsets)
    {
        sequence = BinaryPrimitives.ReadInt64LittleEndian(slot[4..]);
        var count = BinaryPrimitives.ReadInt32LittleEndian(slot[12..]);
        offsets = [];
        if (BinaryPrimitives.ReadUInt32LittleEndian(slot) != Magic || count is < 0 or > MaxPartitions)
        {
            return false;
        }

        var end = HeaderSize + (8 * count);
        if (BinaryPrimitives.ReadUInt32LittleEndian(slot[end..]) != RecordFrame.Checksum(slot[..end], default))
        {
            return false;
        }

        offsets = new long[count];
        for (var p = 0; p < count; p++)
        {
            offsets[p] = BinaryPrimitives.ReadInt64LittleEndian(slot[(HeaderSize + (8 * p))..]);
        }

        return true;
    }
}
