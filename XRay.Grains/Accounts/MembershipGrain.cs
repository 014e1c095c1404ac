using XRay.Grains.Storage;

namespace XRay.Grains.Accounts;

/// <summary>A project's members and roles, loaded once and kept current by being the only writer.</summary>
public sealed class MembershipGrain(IAccountStore store, TimeProvider time) : Grain, IMembershipGrain
{
    private Task<Dictionary<string, ProjectRole>>? _members;

    public async Task<ProjectRole?> GetRole(string userId)
    {
        var members = await LoadAsync().ConfigureAwait(true);
        if (members.Count == 0)
        {
            // No such project (yet): keep nothing cached, so probing ids costs no memory and a project
            // created right after is seen at once.
            _members = null;
            DeactivateOnIdle();
        }

        return members.TryGetValue(userId, out var role) ? role : null;
    }

    public async Task<bool> AddMember(string userId, ProjectRole role)
    {
        var members = await LoadAsync().ConfigureAwait(true);
        if (members.ContainsKey(userId))
        {
            return false;
        }

        var inserted = await store.TryInsertMemberAsync(
            new MemberRecord(this.GetPrimaryKeyString(), userId, role, time.GetUtcNow())).ConfigureAwait(true);
        _members = null; // another writer may have raced us; reload on next read
        return inserted;
    }

    public Task Invalidate()
    {
        _members = null;
        return Task.CompletedTask;
    }

    private Task<Dictionary<string, ProjectRole>> LoadAsync()
    {
        // A failed read is never kept: the next call asks the store again.
        if (_members is { IsCompleted: true, IsCompletedSuccessfully: false })
        {
            _members = null;
        }

        return _members ??= ReadAsync();
    }

    private async Task<Dictionary<string, ProjectRole>> ReadAsync()
    {
        var members = await store.ListMembersAsync(this.GetPrimaryKeyString()).ConfigureAwait(true);
        return members.ToDictionary(m => m.UserId, m => m.Role, StringComparer.Ordinal);
    }
}
