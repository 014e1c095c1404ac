using Orleans.Concurrency;

namespace XRay.Grains.Accounts;

/// <summary>
/// A project's members and their roles, keyed by project id. The single writer of membership, so its
/// cache never goes stale in this process; other gateways learn of changes through <see cref="Invalidate"/>.
/// </summary>
public interface IMembershipGrain : IGrainWithStringKey
{
    /// <summary>The user's role in the project, or <c>null</c> when the user is not a member (or the project does not exist).</summary>
    [AlwaysInterleave]
    Task<ProjectRole?> GetRole(string userId);

    /// <summary>Adds a member; returns <c>false</c> when the user already belongs to the project.</summary>
    Task<bool> AddMember(string userId, ProjectRole role);

    /// <summary>Forgets the cached members; the next call reads the store again.</summary>
    Task Invalidate();
}
