namespace XRay.Gateway.Options;

/// <summary>User authentication: JWT issuance and validation, password policy, API key format.</summary>
public sealed class AuthOptions
{
    /// <summary>HMAC-SHA256 signing key, base64, at least 32 bytes. When empty, a key is generated once and kept in the data directory.</summary>
    public string? SigningKey { get; set; }

    /// <summary>The <c>iss</c> claim issued and required.</summary>
    public string Issuer { get; set; } = "xray";

    /// <summary>The <c>aud</c> claim issued and required.</summary>
    public string Audience { get; set; } = "xray-api";

    /// <summary>How long a token issued at login stays valid.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Shortest password accepted at registration.</summary>
    public int MinPasswordLength { get; set; } = 10;

    /// <summary>Most password hashes computed at once; further logins and registrations get 429.</summary>
    public int MaxConcurrentPasswordHashes { get; set; } = Math.Max(2, Environment.ProcessorCount);
}
