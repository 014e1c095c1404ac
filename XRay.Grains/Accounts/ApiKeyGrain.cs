using XRay.Grains.Storage;

namespace XRay.Grains.Accounts;

/// <summary>Resolves one API key (by the hash of its secret) to its project, caching the answer.</summary>
public sealed class ApiKeyGrain(IAccountStore store) : Grain, IApiKeyGrain
{
    private Task<ApiKeyIdentity?>? _cached;

    public Task<ApiKeyIdentity?> Resolve() => _cached ??= LoadAsync();

    public Task Invalidate()
    {
        _cached = null;
        return Task.CompletedTask;
    }

    private async Task<ApiKeyIdentity?> LoadAsync()
    {
        try
        {
            var key = await store.FindApiKeyByHashAsync(this.GetPrimaryKeyString()).ConfigureAwait(true);
            return key is null || key.RevokedAt is not null ? null : new ApiKeyIdentity(key.ProjectId, key.KeyId);
        }
        catch
        {
            // A failed read must not be cached: the next call tries the store again.
            _cached = null;
            throw;
        }
    }
}
