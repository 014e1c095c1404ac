namespace XRay.Grains.Storage;

/// <summary>
/// Users, projects, project members and API keys: the seed's <c>users</c>, <c>projects</c>,
/// <c>projectMembers</c> and <c>apiKeys</c> collections, with their unique indexes.
/// </summary>
public interface IAccountStore
{
    /// <summary>Inserts a user; returns <c>false</c> when the email is taken (compared case-insensitively).</summary>
    Task<bool> TryInsertUserAsync(UserRecord user, CancellationToken cancellationToken = default);

    Task<UserRecord?> FindUserByEmailAsync(string email, CancellationToken cancellationToken = default);

    /// <summary>Inserts a project and makes its creator the owner, atomically.</summary>
    Task InsertProjectAsync(ProjectRecord project, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<UserProjectRecord>> ListProjectsOfUserAsync(string userId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<MemberRecord>> ListMembersAsync(string projectId, CancellationToken cancellationToken = default);

    /// <summary>Inserts a member; returns <c>false</c> when the user is already a member.</summary>
    Task<bool> TryInsertMemberAsync(MemberRecord member, CancellationToken cancellationToken = default);

    Task InsertApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken = default);

    Task<ApiKeyRecord?> FindApiKeyByHashAsync(string keyHash, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string projectId, CancellationToken cancellationToken = default);

    /// <summary>Marks a key revoked; returns the revoked key, or <c>null</c> when the project has no such key.</summary>
    Task<ApiKeyRecord?> RevokeApiKeyAsync(string projectId, string keyId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default);
}
