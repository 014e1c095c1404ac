using XRay.Grains.Accounts;

namespace XRay.Grains.Storage;

/// <summary>A user account; the password is kept only as an Argon2id hash in PHC string format.</summary>
public sealed record UserRecord(string UserId, string Email, string PasswordHash, DateTimeOffset CreatedAt);

/// <summary>A project (workspace).</summary>
public sealed record ProjectRecord(string ProjectId, string Name, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>A project the user belongs to, with the user's role in it.</summary>
public sealed record UserProjectRecord(string ProjectId, string Name, ProjectRole Role, DateTimeOffset CreatedAt);

/// <summary>A project member.</summary>
public sealed record MemberRecord(string ProjectId, string UserId, ProjectRole Role, DateTimeOffset CreatedAt);

/// <summary>An API key; only the SHA-256 hash of its secret is stored.</summary>
public sealed record ApiKeyRecord(
    string KeyId,
    string ProjectId,
    string Name,
    string KeyHash,
    string Prefix,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RevokedAt);
