using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace XRay.Gateway.Auth;

/// <summary>
/// API keys: <c>xray_</c> followed by 256 random bits in base64url. The secret is shown once; the
/// store keeps only its SHA-256 (a fast hash suffices for a 256-bit random secret) and a short prefix
/// that lets a user recognise the key in a list.
/// </summary>
public static class ApiKeys
{
    public const string Scheme = "xray_";
    public const int PrefixLength = 12;
    private const int SecretLength = 5 + 43; // "xray_" + base64url(32 bytes) without padding

    public static string NewKey() => Scheme + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static string PrefixOf(string key) => key[..PrefixLength];

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Cheap shape check before any lookup, so garbage never reaches the store.</summary>
    public static bool HasValidShape(string? key) =>
        key is { Length: SecretLength } && key.StartsWith(Scheme, StringComparison.Ordinal) && Base64Url.IsValid(key.AsSpan(Scheme.Length));
}
