using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using XRay.Testing;

namespace XRay.Gateway.Tests;

/// <summary>Mints JWTs by hand, so tests can present expired, forged and unsigned tokens.</summary>
internal static class Tokens
{
    public static string Sign(object header, object payload, byte[] key)
    {
        var unsigned = $"{Encode(header)}.{Encode(payload)}";
        var signature = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(unsigned));
        return $"{unsigned}.{Base64Url(signature)}";
    }

    public static string Unsigned(object payload) => $"{Encode(new { alg = "none", typ = "JWT" })}.{Encode(payload)}.";

    public static byte[] GatewayKey => Convert.FromBase64String(GatewayProcess.SigningKeyBase64);

    public static object Claims(string sub, DateTimeOffset expires, string iss = "xray", string aud = "xray-api") => new
    {
        sub,
        iss,
        aud,
        iat = DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeSeconds(),
        nbf = DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeSeconds(),
        exp = expires.ToUnixTimeSeconds(),
    };

    public static string Payload(string token) => Encoding.UTF8.GetString(FromBase64Url(token.Split('.')[1]));

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Encode(object value) => Base64Url(JsonSerializer.SerializeToUtf8Bytes(value));

    private static byte[] FromBase64Url(string value)
    {
        var s = value.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }
}
