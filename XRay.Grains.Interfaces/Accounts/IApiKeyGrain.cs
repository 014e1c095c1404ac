using Orleans.Concurrency;

namespace XRay.Grains.Accounts;

/// <summary>
/// One API key, keyed by the SHA-256 hash of its secret (hex). Resolves the key to its project and
/// caches the answer for the activation's lifetime; revocation clears it at once.
/// </summary>
public interface IApiKeyGrain : IGrainWithStringKey
{
    /// <summary>The key's project, or <c>null</c> when the key is unknown or revoked.</summary>
    [AlwaysInterleave]
    Task<ApiKeyIdentity?> Resolve();

    /// <summary>Forgets the cached answer; the next <see cref="Resolve"/> reads the store again.</summary>
    Task Invalidate();
}

[GenerateSerializer, Immutable]
public sealed record ApiKeyIdentity([property: Id(0)] string ProjectId, [property: Id(1)] string KeyId);
