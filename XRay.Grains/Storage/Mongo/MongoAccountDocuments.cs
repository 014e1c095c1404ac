using MongoDB.Bson;
using XRay.Grains.Accounts;

namespace XRay.Grains.Storage.Mongo;

/// <summary>Account records as documents. Ids are the 24-hex strings the API hands out, stored as strings in <c>_id</c>.</summary>
internal static class MongoAccountDocuments
{
    /// <summary>
    /// The unique key of an email, equal exactly where SQLite's NOCASE calls two emails equal: only ASCII letters fold.
    /// (<see cref="string.ToLowerInvariant"/> folds every letter, and some onto ASCII: U+212A KELVIN SIGN becomes 'k', so
    /// "\u212Aate@x.io" would take "kate@x.io".)
    /// </summary>
    public static string EmailKey(string email) => string.Create(email.Length, email, static (key, source) =>
    {
        for (var i = 0; i < source.Length; i++)
        {
            key[i] = char.IsAsciiLetterUpper(source[i]) ? (char)(source[i] | 0x20) : source[i];
        }
    });

    public static BsonDocument ToDocument(UserRecord user) => new()
    {
        ["_id"] = user.UserId,
        ["email"] = user.Email,
        ["emailKey"] = EmailKey(user.Email),
        ["passwordHash"] = user.PasswordHash,
        ["createdAt"] = MongoBson.Date(user.CreatedAt),
    };

    public static UserRecord ToUser(BsonDocument d) =>
        new(d["_id"].AsString, d["email"].AsString, d["passwordHash"].AsString, MongoBson.ToDate(d["createdAt"]));

    public static BsonDocument ToDocument(ProjectRecord project) => new()
    {
        ["_id"] = project.ProjectId,
        ["name"] = project.Name,
        ["createdBy"] = project.CreatedBy,
        ["createdAt"] = MongoBson.Date(project.CreatedAt),
    };

    public static BsonDocument ToDocument(MemberRecord member) => new()
    {
        ["projectId"] = member.ProjectId,
        ["userId"] = member.UserId,
        ["role"] = FormatRole(member.Role),
        ["createdAt"] = MongoBson.Date(member.CreatedAt),
    };

    public static MemberRecord ToMember(BsonDocument d) =>
        new(d["projectId"].AsString, d["userId"].AsString, ParseRole(d["role"].AsString), MongoBson.ToDate(d["createdAt"]));

    public static BsonDocument ToDocument(ApiKeyRecord key) => new()
    {
        ["_id"] = key.KeyId,
        ["projectId"] = key.ProjectId,
        ["name"] = key.Name,
        ["keyHash"] = key.KeyHash,
        ["prefix"] = key.Prefix,
        ["createdAt"] = MongoBson.Date(key.CreatedAt),
        ["revokedAt"] = key.RevokedAt is { } revokedAt ? MongoBson.Date(revokedAt) : BsonNull.Value,
    };

    public static ApiKeyRecord ToApiKey(BsonDocument d) => new(
        d["_id"].AsString,
        d["projectId"].AsString,
        d["name"].AsString,
        d["keyHash"].AsString,
        d["prefix"].AsString,
        MongoBson.ToDate(d["createdAt"]),
        d.OptionalDate("revokedAt"));

    private static string FormatRole(ProjectRole role) => role == ProjectRole.Owner ? "owner" : "member";

    private static ProjectRole ParseRole(string role) => role == "owner" ? ProjectRole.Owner : ProjectRole.Member;
}
