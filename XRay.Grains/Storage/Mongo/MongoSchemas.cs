using MongoDB.Bson;
using MongoDB.Driver;

namespace XRay.Grains.Storage.Mongo;

/// <summary>Collection names and the index helper shared by the schemas.</summary>
internal static class MongoCollections
{
    public const string Users = "users";
    public const string Projects = "projects";
    public const string ProjectMembers = "projectMembers";
    public const string ApiKeys = "apiKeys";
    public const string Traces = "traces";
    public const string Steps = "steps";
    public const string Data = "data";

    /// <summary>Builds a named index model from <c>(field, 1 | -1)</c> pairs.</summary>
    public static CreateIndexModel<BsonDocument> Index(string name, bool unique, params (string Field, int Direction)[] keys) =>
        new(new BsonDocumentIndexKeysDefinition<BsonDocument>(new BsonDocument(keys.Select(k => new BsonElement(k.Field, k.Direction)))),
            new CreateIndexOptions { Name = name, Unique = unique });

    public static Task CreateAsync(IMongoDatabase database, string collection, CancellationToken cancellationToken, params CreateIndexModel<BsonDocument>[] indexes) =>
        database.GetCollection<BsonDocument>(collection).Indexes.CreateManyAsync(indexes, cancellationToken);
}

/// <summary>Unique indexes of the account collections (the seed's users.email, projectMembers projectId+userId, apiKeys.key).</summary>
public sealed class MongoAccountSchema : IMongoSchema
{
    public async Task CreateIndexesAsync(IMongoDatabase database, CancellationToken cancellationToken)
    {
        // emailKey is the lower-cased email: one index answers case-insensitive lookups without a collation on every query.
        await MongoCollections.CreateAsync(database, MongoCollections.Users, cancellationToken,
            MongoCollections.Index("ux_users_emailKey", true, ("emailKey", 1))).ConfigureAwait(false);
        await MongoCollections.CreateAsync(database, MongoCollections.ProjectMembers, cancellationToken,
            MongoCollections.Index("ux_projectMembers_project_user", true, ("projectId", 1), ("userId", 1)),
            MongoCollections.Index("ix_projectMembers_user", false, ("userId", 1))).ConfigureAwait(false);
        await MongoCollections.CreateAsync(database, MongoCollections.ApiKeys, cancellationToken,
            MongoCollections.Index("ux_apiKeys_keyHash", true, ("keyHash", 1)),
            MongoCollections.Index("ix_apiKeys_project", false, ("projectId", 1), ("createdAt", 1))).ConfigureAwait(false);
    }
}

/// <summary>Indexes of the trace collections: the seed's unique traceId, stepId and dataId, plus the query paths.</summary>
public sealed class MongoTraceSchema : IMongoSchema
{
    public async Task CreateIndexesAsync(IMongoDatabase database, CancellationToken cancellationToken)
    {
        await MongoCollections.CreateAsync(database, MongoCollections.Traces, cancellationToken,
            MongoCollections.Index("ux_traces_traceId", true, ("traceId", 1)),
            MongoCollections.Index("ix_traces_project_started", false, ("projectId", 1), ("startedAt", -1), ("traceId", -1))).ConfigureAwait(false);
        await MongoCollections.CreateAsync(database, MongoCollections.Steps, cancellationToken,
            MongoCollections.Index("ux_steps_stepId", true, ("stepId", 1)),
            MongoCollections.Index("ix_steps_trace_number", false, ("traceId", 1), ("stepNumber", 1)),
            MongoCollections.Index("ix_steps_project_started", false, ("projectId", 1), ("startedAt", -1), ("stepId", -1)),
            MongoCollections.Index("ix_steps_project_name_started", false, ("projectId", 1), ("name", 1), ("startedAt", -1), ("stepId", -1))).ConfigureAwait(false);
        await MongoCollections.CreateAsync(database, MongoCollections.Data, cancellationToken,
            MongoCollections.Index("ux_data_dataId", true, ("dataId", 1)),
            MongoCollections.Index("ix_data_trace", false, ("traceId", 1)),
            MongoCollections.Index("ix_data_project", false, ("projectId", 1))).ConfigureAwait(false); // counts for project stats
    }
}
