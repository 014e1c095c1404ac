namespace XRay.Sdk.Events;

/// <summary>
/// Time-ordered UUIDv7 (RFC 9562) from a fast, per-thread random source. <c>Guid.CreateVersion7()</c>
/// draws from the OS's cryptographic generator, a system call per id (about a microsecond here);
/// these ids only need to be unique, not secret, so 74 random bits from <see cref="Random.Shared"/> do.
/// </summary>
internal static class Uuid7
{
    public static Guid New() => At(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    public static Guid At(DateTime utc) => At(new DateTimeOffset(utc).ToUnixTimeMilliseconds());

    private static Guid At(long unixMilliseconds)
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes[6..]);
        for (var i = 5; i >= 0; i--)
        {
            bytes[i] = (byte)unixMilliseconds; // 48-bit big-endian timestamp first, so ids sort by time
            unixMilliseconds >>= 8;
        }

        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F)); // version 7
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F)); // RFC 4122 variant
        return new Guid(bytes, bigEndian: true);
    }
}
