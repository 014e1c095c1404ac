using MongoDB.Bson;
using MongoDB.Driver;
using static XRay.Grains.Storage.Mongo.MongoAccountDocuments;

namespace XRay.Grains.Storage.Mongo;

/// <summary>The account collections in MongoDB; the unique indexes of <see cref="MongoAccountSchema"/> enforce uniqueness.</summary>
public sealed class MongoAccountStore(MongoStoreDatabase database) : IAccountStore
{
    private static readonly FilterDefinitionBuilder<BsonDocument> Filter = Builders<BsonDocument>.Filter;
    private static readonly SortDefinition<BsonDocument> ByCreation = Builders<BsonDocument>.Sort.Ascending("createdAt").Ascending("_id");

    public async Task<bool> TryInsertUserAsync(UserRecord user, CancellationToken cancellationToken = default)
    {
        var users = await database.CollectionAsync(MongoCollections.Users, cancellationToken).ConfigureAwait(false);
        return await TryInsertUniqueAsync(users, ToDocument(user), cancellationToken).ConfigureAwait(false);
    }

    public async Task<UserRecord?> FindUserByEmailAsync(string email, CancellationToken cancellationToken = default)
    {
        var users = await database.CollectionAsync(MongoCollections.Users, cancellationToken).ConfigureAwait(false);
        var document = await users.Find(Filter.Eq("emailKey", EmailKey(email))).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        return document is null ? null : ToUser(document);
    }

    public async Task InsertProjectAsync(ProjectRecord project, CancellationToken cancellationToken = default)
    {
        // No multi-document transaction (a standalone server has none): the project goes in first, as in SQLite's
        // transaction, and its owner second. Access and listings go through memberships, so a project is reachable only
        // once its owner is written; an owner insert that fails leaves a project no one can reach, never a membership
        // (an owner's rights) on a project that does not exist.
        var projects = await database.CollectionAsync(MongoCollections.Projects, cancellationToken).ConfigureAwait(false);
        await projects.InsertOneAsync(ToDocument(project), cancellationToken: cancellationToken).ConfigureAwait(false);
        var members = await database.CollectionAsync(MongoCollections.ProjectMembers, cancellationToken).ConfigureAwait(false);
        var owner = new MemberRecord(project.ProjectId, project.CreatedBy, Accounts.ProjectRole.Owner, project.CreatedAt);
        await members.InsertOneAsync(ToDocument(owner), cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<UserProjectRecord>> ListProjectsOfUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        var members = await database.CollectionAsync(MongoCollections.ProjectMembers, cancellationToken).ConfigureAwait(false);
        var memberships = await members.Find(Filter.Eq("userId", userId)).ToListAsync(cancellationToken).ConfigureAwait(false);
        if (memberships.Count == 0)
        {
            return [];
        }

        var roles = memberships.Select(ToMember).ToDictionary(m => m.ProjectId, m => m.Role, StringComparer.Ordinal);
        var projects = await database.CollectionAsync(MongoCollections.Projects, cancellationToken).ConfigureAwait(false);
        var found = await projects.Find(Filter.In("_id", roles.Keys)).Sort(ByCreation).ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. found.Select(p => new UserProjectRecord(p["_id"].AsString, p["name"].AsString, roles[p["_id"].AsString], MongoBson.ToDate(p["createdAt"])))];
    }

    public async Task<IReadOnlyList<MemberRecord>> ListMembersAsync(string projectId, CancellationToken cancellationToken = default)
    {
        var members = await database.CollectionAsync(MongoCollections.ProjectMembers, cancellationToken).ConfigureAwait(false);
        var found = await members.Find(Filter.Eq("projectId", projectId)).Sort(ByCreation).ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. found.Select(ToMember)];
    }

    public async Task<bool> TryInsertMemberAsync(MemberRecord member, CancellationToken cancellationToken = default)
    {
        var members = await database.CollectionAsync(MongoCollections.ProjectMembers, cancellationToken).ConfigureAwait(false);
        return await TryInsertUniqueAsync(members, ToDocument(member), cancellationToken).ConfigureAwait(false);
    }

    public async Task InsertApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken = default)
    {
        var keys = await database.CollectionAsync(MongoCollections.ApiKeys, cancellationToken).ConfigureAwait(false);
        await keys.InsertOneAsync(ToDocument(key with { RevokedAt = null }), cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    public async Task<ApiKeyRecord?> FindApiKeyByHashAsync(string keyHash, CancellationToken cancellationToken = default)
    {
        var keys = await database.CollectionAsync(MongoCollections.ApiKeys, cancellationToken).ConfigureAwait(false);
        var document = await keys.Find(Filter.Eq("keyHash", keyHash)).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        return document is null ? null : ToApiKey(document);
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string projectId, CancellationToken cancellationToken = default)
    {
        var keys = await database.CollectionAsync(MongoCollections.ApiKeys, cancellationToken).ConfigureAwait(false);
        var found = await keys.Find(Filter.Eq("projectId", projectId)).Sort(ByCreation).ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. found.Select(ToApiKey)];
    }

    public async Task<ApiKeyRecord?> RevokeApiKeyAsync(string projectId, string keyId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default)
    {
        var keys = await database.CollectionAsync(MongoCollections.ApiKeys, cancellationToken).ConfigureAwait(false);
        // An update pipeline keeps the first revocation time: revoking again is idempotent.
        var keepFirst = new BsonDocument("$set", new BsonDocument("revokedAt", new BsonDocument("$ifNull", new BsonArray { "$revokedAt", MongoBson.Date(revokedAt) })));
        var document = await keys.FindOneAndUpdateAsync(
            Filter.Eq("_id", keyId) & Filter.Eq("projectId", projectId),
            Builders<BsonDocument>.Update.Pipeline(new BsonDocumentStagePipelineDefinition<BsonDocument, BsonDocument>([keepFirst])),
            new FindOneAndUpdateOptions<BsonDocument> { ReturnDocument = ReturnDocument.After },
            cancellationToken).ConfigureAwait(false);
        return document is null ? null : ToApiKey(document);
    }

    private static async Task<bool> TryInsertUniqueAsync(IMongoCollection<BsonDocument> collection, BsonDocument document, CancellationToken cancellationToken)
    {
        try
        {
            await collection.InsertOneAsync(document, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (MongoWriteException ex) when (ex.WriteError?.Code == MongoTraceWrites.DuplicateKey)
        {
            return false;
        }
    }
}
