using System.Buffers.Binary;
using System.Security.Cryptography;

namespace XRay.Grains.Ids;

/// <summary>
/// MongoDB-style ObjectIds (24 lowercase hex digits: 4-byte seconds timestamp, 5 random bytes,
/// 3-byte counter), used for project and user ids so both stores share one id format.
/// </summary>
public static class ObjectIds
{
    private static readonly byte[] ProcessRandom = RandomNumberGenerator.GetBytes(5);
    private static int _counter = RandomNumberGenerator.GetInt32(0, 0xFFFFFF);

    /// <summary>Creates a new ObjectId for the given instant.</summary>
    public static string NewId(DateTimeOffset now)
    {
        Span<byte> bytes = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)now.ToUnixTimeSeconds());
        ProcessRandom.CopyTo(bytes[4..]);
        var counter = Interlocked.Increment(ref _counter) & 0xFFFFFF;
        bytes[9] = (byte)(counter >> 16);
        bytes[10] = (byte)(counter >> 8);
        bytes[11] = (byte)counter;
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>True when <paramref name="value"/> is 24 lowercase hex digits.</summary>
    public static bool IsValid(ReadOnlySpan<char> value)
    {
        if (value.Length != 24)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
