using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace XRay.Gateway.Blobs.Local;

/// <summary>
/// Signs and checks the local store's URLs: HMAC-SHA256 over method, object key, expiry (unix seconds),
/// size (uploads) and content type. Any change to one of them, or use after the expiry, fails the check.
/// </summary>
public sealed class LocalUrlSigner(byte[] key)
{
    private readonly byte[] _key = key.Length >= 32 ? key : throw new ArgumentException("The signing key must be at least 32 bytes.", nameof(key));

    /// <summary>The base64url signature of one request.</summary>
    public string Sign(string method, string objectKey, long expiresAtUnix, long? size, string contentType) =>
        Base64Url.EncodeToString(Mac(method, objectKey, expiresAtUnix, size, contentType));

    /// <summary>Checks a signature in constant time.</summary>
    public bool IsValid(string method, string objectKey, long expiresAtUnix, long? size, string contentType, string? signature)
    {
        if (string.IsNullOrEmpty(signature) || !Base64Url.IsValid(signature, out var length) || length != 32)
        {
            return false;
        }

        var expected = Mac(method, objectKey, expiresAtUnix, size, contentType);
        return CryptographicOperations.FixedTimeEquals(expected, Base64Url.DecodeFromChars(signature));
    }

    /// <summary>Derives a key for blob URLs from another secret, so signing blobs needs no extra key to manage.</summary>
    public static byte[] DeriveKey(byte[] secret) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, salt: [], info: "xray blob urls v1"u8.ToArray());

    private byte[] Mac(string method, string objectKey, long expiresAtUnix, long? size, string contentType)
    {
        // One field per line; none of them can hold a newline (keys and methods are fixed shapes, content types are checked).
        var canonical = string.Join('\n',
            method,
            objectKey,
            expiresAtUnix.ToString(CultureInfo.InvariantCulture),
            size?.ToString(CultureInfo.InvariantCulture) ?? "-",
            contentType);
        return HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(canonical));
    }
}
