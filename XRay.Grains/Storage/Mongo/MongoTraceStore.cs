using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using MongoDB.Bson;
using MongoDB.Driver;
using static XRay.Grains.Storage.Mongo.MongoTraceDocuments;

namespace XRay.Grains.Storage.Mongo;

/// <summary>
/// The trace collections in MongoDB. A batch is not one transaction (a standalone server has none); instead every
/// step is idempotent, so the consumer's redelivery of a batch after a failure converges to the same documents.
/// </summary>
public sealed class MongoTraceStore(MongoStoreDatabase database, TimeProvider timeProvider, ILogger<MongoTraceStore> logger) : ITraceStore
{
    private static readonly FilterDefinitionBuilder<BsonDocument> Filter = Builders<BsonDocument>.Filter;

    /// <inheritdoc />
    /// <remarks>Writes are acknowledged under a journaled majority write concern (<see cref="MongoStoreDatabase"/>): nothing is left to sync.</remarks>
    public Task FlushAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public async Task<TraceWriteCounts> WriteAsync(TraceWriteBatch batch, CancellationToken cancellationToken = default)
    {
        var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var traces = await database.CollectionAsync(MongoCollections.Traces, cancellationToken).ConfigureAwait(false);
        var upserts = batch.Traces
            .Select(t => new UpdateOneModel<BsonDocument>(
                Filter.Eq("traceId", t.TraceId),
                Builders<BsonDocument>.Update.Pipeline(new BsonDocumentStagePipelineDefinition<BsonDocument, BsonDocument>([MergeStage(t, now)])))
            { IsUpsert = true, Collation = Collation.Simple }) // compare as TraceUpsert.Merge does, whatever the collection's default
            .ToList();
        await MongoTraceWrites.UpsertAsync(traces, upserts, cancellationToken).ConfigureAwait(false);

        var steps = await database.CollectionAsync(MongoCollections.Steps, cancellationToken).ConfigureAwait(false);
        var stepsInserted = await MongoTraceWrites.InsertIgnoringDuplicatesAsync(steps, [.. batch.Steps.Select(ToDocument)], logger, cancellationToken).ConfigureAwait(false);
        var dataInserted = await InsertDataRowsAsync(batch.Data, cancellationToken).ConfigureAwait(false);

        // Upserted traces are counted too: their steps may have arrived in an earlier batch.
        var touched = batch.Steps.Select(s => s.TraceId).Concat(batch.Traces.Select(t => t.TraceId)).Distinct(StringComparer.Ordinal).ToList();
        await RefreshStepCountsAsync(traces, steps, touched, cancellationToken).ConfigureAwait(false);
        return new TraceWriteCounts(stepsInserted, dataInserted);
    }

    public Task InsertDataAsync(IReadOnlyList<DataRecord> data, CancellationToken cancellationToken = default) => InsertDataRowsAsync(data, cancellationToken);

    /// <summary>Inserts data rows (existing ids ignored); returns how many were new.</summary>
    private async Task<int> InsertDataRowsAsync(IReadOnlyList<DataRecord> data, CancellationToken cancellationToken)
    {
        var collection = await database.CollectionAsync(MongoCollections.Data, cancellationToken).ConfigureAwait(false);
        return await MongoTraceWrites.InsertIgnoringDuplicatesAsync(collection, [.. data.Select(ToDocument)], logger, cancellationToken).ConfigureAwait(false);
    }

    public async Task<DataRecord?> FindDataAsync(string traceId, string dataId, CancellationToken cancellationToken = default)
    {
        var data = await database.CollectionAsync(MongoCollections.Data, cancellationToken).ConfigureAwait(false);
        var document = await data.Find(Filter.Eq("dataId", dataId) & Filter.Eq("traceId", traceId)).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        return document is null ? null : ToData(document);
    }

    public async Task<IReadOnlyList<DataRecord>> GetDataAsync(string traceId, CancellationToken cancellationToken = default)
    {
        var data = await database.CollectionAsync(MongoCollections.Data, cancellationToken).ConfigureAwait(false);
        var found = await data.Find(Filter.Eq("traceId", traceId))
            .Sort(Builders<BsonDocument>.Sort.Ascending("createdAt").Ascending("dataId"))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. found.Select(ToData)];
    }

    public async Task<TraceRecord?> GetTraceAsync(string traceId, CancellationToken cancellationToken = default)
    {
        var traces = await database.CollectionAsync(MongoCollections.Traces, cancellationToken).ConfigureAwait(false);
        var document = await traces.Find(Filter.Eq("traceId", traceId)).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        return document is null ? null : ToTrace(document);
    }

    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadStepDocumentsAsync(string traceId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var steps = await database.CollectionAsync(MongoCollections.Steps, cancellationToken).ConfigureAwait(false);
        using var cursor = await steps.Find(Filter.Eq("traceId", traceId))
            .Sort(Builders<BsonDocument>.Sort.Ascending("stepNumber").Ascending("startedAt").Ascending("stepId"))
            .Project(Builders<BsonDocument>.Projection.Include("document").Exclude("_id"))
            .ToCursorAsync(cancellationToken).ConfigureAwait(false);
        while (await cursor.MoveNextAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var document in cursor.Current)
            {
                yield return StepDocumentOf(document);
            }
        }
    }

    public async Task<IReadOnlyList<TraceRecord>> ListTracesAsync(string projectId, TraceQuery query, CancellationToken cancellationToken = default)
    {
        var traces = await database.CollectionAsync(MongoCollections.Traces, cancellationToken).ConfigureAwait(false);
        var found = await traces.Find(ListFilter(projectId, query))
            .Sort(Builders<BsonDocument>.Sort.Descending("startedAt").Descending("traceId"))
            .Limit(query.Limit)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. found.Select(ToTrace)];
    }

    public async Task<IReadOnlyList<StepRecord>> QueryStepsAsync(string projectId, StepQuery query, CancellationToken cancellationToken = default)
    {
        var filter = MongoStepQuery.Build(projectId, query); // throws NotSupportedException before any I/O
        var steps = await database.CollectionAsync(MongoCollections.Steps, cancellationToken).ConfigureAwait(false);
        var found = await steps.Find(filter)
            .Sort(Builders<BsonDocument>.Sort.Descending("startedAt").Descending("stepId"))
            .Limit(query.Limit)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. found.Select(ToStep)];
    }

    /// <inheritdoc />
    /// <remarks>
    /// Counted when asked, from the <c>projectId</c> indexes: a group by status over the project's traces and two counts
    /// (steps, data), each an index scan of the project's entries, so the cost grows with the project (docs/storage.md).
    /// Callers cache it (<c>ProjectGrain</c> reads it at most once a second). Read from the primary, as every read is (<see cref="MongoStoreDatabase"/>).
    /// </remarks>
    public async Task<ProjectStats> GetProjectStatsAsync(string projectId, CancellationToken cancellationToken = default)
    {
        var inProject = Filter.Eq("projectId", projectId);
        var traces = await database.CollectionAsync(MongoCollections.Traces, cancellationToken).ConfigureAwait(false);
        var steps = await database.CollectionAsync(MongoCollections.Steps, cancellationToken).ConfigureAwait(false);
        var data = await database.CollectionAsync(MongoCollections.Data, cancellationToken).ConfigureAwait(false);
        var byStatus = traces.Aggregate()
            .Match(inProject)
            .Group(new BsonDocument { ["_id"] = "$status", ["count"] = new BsonDocument("$sum", 1) })
            .ToListAsync(cancellationToken);
        var stepCount = steps.CountDocumentsAsync(inProject, cancellationToken: cancellationToken);
        var dataCount = data.CountDocumentsAsync(inProject, cancellationToken: cancellationToken);
        await Task.WhenAll(byStatus, stepCount, dataCount).ConfigureAwait(false);

        var counts = (await byStatus.ConfigureAwait(false)).ToDictionary(c => c["_id"].AsString, c => c["count"].ToInt64(), StringComparer.Ordinal);
        return new ProjectStats(
            counts.Values.Sum(), counts.GetValueOrDefault("running"), counts.GetValueOrDefault("success"), counts.GetValueOrDefault("failure"),
            await stepCount.ConfigureAwait(false), await dataCount.ConfigureAwait(false));
    }

    /// <summary>The project's traces matching the filters, after the cursor in (startedAt DESC, traceId DESC) order.</summary>
    internal static FilterDefinition<BsonDocument> ListFilter(string projectId, TraceQuery query)
    {
        var filter = Filter.Eq("projectId", projectId);
        if (query.Status is not null)
        {
            filter &= Filter.Eq("status", query.Status);
        }

        if (query.Name is not null)
        {
            filter &= Filter.Eq("name", query.Name);
        }

        if (query.From is not null)
        {
            filter &= Filter.Gte("startedAt", query.From.Value);
        }

        if (query.To is not null)
        {
            filter &= Filter.Lt("startedAt", query.To.Value);
        }

        if (query.After is { } after)
        {
            filter &= Filter.Lt("startedAt", after.StartedAt)
                | (Filter.Eq("startedAt", after.StartedAt) & Filter.Lt("traceId", after.TraceId));
        }

        return filter;
    }

    private static async Task RefreshStepCountsAsync(IMongoCollection<BsonDocument> traces, IMongoCollection<BsonDocument> steps, List<string> traceIds, CancellationToken cancellationToken)
    {
        if (traceIds.Count == 0)
        {
            return;
        }

        // From the primary (MongoStoreDatabase pins every read there): a secondary may not have this batch's inserts yet,
        // and the count would stay low until the trace's next batch.
        var counts = await steps.Aggregate()
            .Match(Filter.In("traceId", traceIds))
            .Group(new BsonDocument { ["_id"] = "$traceId", ["count"] = new BsonDocument("$sum", 1) })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        if (counts.Count == 0)
        {
            return;
        }

        // Steps are never deleted, so a count only grows: $max keeps a concurrent writer's newer count from being undone.
        var updates = counts.Select(c => new UpdateOneModel<BsonDocument>(
            Filter.Eq("traceId", c["_id"].AsString),
            Builders<BsonDocument>.Update.Max("stepCount", c["count"].ToInt64()))).ToList();
        await traces.BulkWriteAsync(updates, new BulkWriteOptions { IsOrdered = false }, cancellationToken).ConfigureAwait(false);
    }
}
