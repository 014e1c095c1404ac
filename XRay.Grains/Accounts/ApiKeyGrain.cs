using XRay.Grains.Storage;

namespace XRay.Grains.Accounts;

/// <summary>Resolves one API key (by the hash of its secret) to its project, caching the answer.</summary>
public sealed class ApiKeyGrain(IAccountStore store) : Grain, IApiKeyGrain
{
    private Task<ApiKeyIdentity?>? _cached;

    public async Task<ApiKeyIdentity?> Resolve()
    {
        // A failed read is never kept: the next call asks the store again.
        if (_cached is { IsCompleted: true, IsCompletedSuccessfully: false })
        {
            _cached = null;
        }

        var identity = await (_cached ??= LoadAsync()).ConfigureAwait(true);
        if (identity is null)
        {
            // Unknown keys are not worth an activation: a spray of random keys must not pile them up.
            DeactivateOnIdle();
        }

        return identity;
    }

    public Task Invalidate()
    {
        _cached = null;
        return Task.CompletedTask;
    }

    private async Task<ApiKeyIdentity?> LoadAsync()
    {
        var key = await store.FindApiKeyByHashAsync(this.GetPrimaryKeyString()).ConfigureAwait(true);
        return key is null || key.RevokedAt is not null ? null : new ApiKeyIdentity(key.ProjectId, key.KeyId);
    }
}
