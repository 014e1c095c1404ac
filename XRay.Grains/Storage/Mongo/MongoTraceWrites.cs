using Microsoft.Extensions.Logging;
using MongoDB.Bson;
using MongoDB.Driver;

namespace XRay.Grains.Storage.Mongo;

/// <summary>The consumer's bulk writes: unordered, idempotent, duplicate keys (and only those) ignored.</summary>
internal static partial class MongoTraceWrites
{
    /// <summary>MongoDB's duplicate key error code (E11000).</summary>
    public const int DuplicateKey = 11000;

    /// <summary>
    /// Inserts documents with <c>ordered: false</c>; rows whose unique key exists are skipped, any other error is thrown.
    /// Returns how many were inserted.
    /// </summary>
    public static async Task<int> InsertIgnoringDuplicatesAsync(IMongoCollection<BsonDocument> collection, IReadOnlyList<BsonDocument> documents, ILogger logger, CancellationToken cancellationToken)
    {
        if (documents.Count == 0)
        {
            return 0;
        }

        try
        {
            await collection.InsertManyAsync(documents, new InsertManyOptions { IsOrdered = false }, cancellationToken).ConfigureAwait(false);
            return documents.Count;
        }
        catch (MongoBulkWriteException ex) when (OnlyDuplicates(ex))
        {
            LogDuplicatesIgnored(logger, ex.WriteErrors.Count, collection.CollectionNamespace.CollectionName);
            return documents.Count - ex.WriteErrors.Count;
        }
    }

    /// <summary>
    /// Upserts the merge pipelines unordered. Two writers upserting a new trace at once can both insert; the loser
    /// gets a duplicate key and is retried once, when it finds the winner's document and merges into it.
    /// </summary>
    public static async Task UpsertAsync(IMongoCollection<BsonDocument> collection, IReadOnlyList<UpdateOneModel<BsonDocument>> upserts, CancellationToken cancellationToken)
    {
        if (upserts.Count == 0)
        {
            return;
        }

        try
        {
            await collection.BulkWriteAsync(upserts, new BulkWriteOptions { IsOrdered = false }, cancellationToken).ConfigureAwait(false);
        }
        catch (MongoBulkWriteException ex) when (OnlyDuplicates(ex))
        {
            var retry = ex.WriteErrors.Select(e => upserts[e.Index]).ToList();
            await collection.BulkWriteAsync(retry, new BulkWriteOptions { IsOrdered = false }, cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool OnlyDuplicates(MongoBulkWriteException ex) =>
        ex.WriteConcernError is null && ex.WriteErrors.Count > 0 && ex.WriteErrors.All(e => e.Code == DuplicateKey);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ignored {Count} duplicate keys inserting into {Collection} (reprocessed events)")]
    private static partial void LogDuplicatesIgnored(ILogger logger, int count, string collection);
}
