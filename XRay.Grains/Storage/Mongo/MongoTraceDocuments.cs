using MongoDB.Bson;

namespace XRay.Grains.Storage.Mongo;

/// <summary>
/// Trace records as documents. Times stay Unix milliseconds (Int64) as in <see cref="TraceRecord"/>; JSON-valued
/// fields stay raw JSON text so they come back byte for byte.
/// </summary>
internal static class MongoTraceDocuments
{
    public static TraceRecord ToTrace(BsonDocument d) => new(
        d["traceId"].AsString,
        d["projectId"].AsString,
        d.OptionalString("name"),
        d["status"].AsString,
        d["startedAt"].ToInt64(),
        d.OptionalInt64("endedAt"),
        d.OptionalString("metadata"),
        d.OptionalString("output"),
        d.OptionalString("error"),
        (int)(d.OptionalInt64("stepCount") ?? 0),
        d.OptionalInt64("updatedAt") ?? 0);

    /// <summary>
    /// The order-independent merge as one <c>$set</c> stage of an upsert's update pipeline, the same rules as
    /// SQLite's <c>ON CONFLICT</c>: present fields overwrite absent ones, a terminal status beats <c>running</c>,
    /// the earliest start wins (<c>$min</c> ignores a missing field, so an insert takes the new start).
    /// </summary>
    public static BsonDocument MergeStage(TraceUpsert t, long now) => new("$set", new BsonDocument
    {
        ["projectId"] = IfNull("$projectId", new BsonString(t.ProjectId)),
        ["name"] = IfNull(MongoBson.Literal(MongoBson.Nullable(t.Name)), "$name"),
        ["status"] = t.Status == "running" ? IfNull("$status", new BsonString("running")) : MongoBson.Literal(t.Status),
        ["startedAt"] = new BsonDocument("$min", new BsonArray { "$startedAt", new BsonInt64(t.StartedAt) }),
        ["endedAt"] = IfNull(MongoBson.Literal(MongoBson.Nullable(t.EndedAt)), "$endedAt"),
        ["metadata"] = IfNull(MongoBson.Literal(MongoBson.Nullable(t.Metadata)), "$metadata"),
        ["output"] = IfNull(MongoBson.Literal(MongoBson.Nullable(t.Output)), "$output"),
        ["error"] = IfNull(MongoBson.Literal(MongoBson.Nullable(t.Error)), "$error"),
        ["stepCount"] = IfNull("$stepCount", new BsonInt64(0)),
        ["updatedAt"] = new BsonInt64(now),
    });

    public static BsonDocument ToDocument(StepRecord s) => new()
    {
        ["stepId"] = s.StepId,
        ["traceId"] = s.TraceId,
        ["projectId"] = ProjectOf(s.TraceId),
        ["stepNumber"] = s.StepNumber,
        ["name"] = s.Name,
        ["kind"] = MongoBson.Nullable(s.Kind),
        ["status"] = s.Status,
        ["startedAt"] = new BsonInt64(s.StartedAt),
        ["endedAt"] = MongoBson.Nullable(s.EndedAt),
        ["document"] = s.Document,
    };

    public static StepRecord ToStep(BsonDocument d) => new(
        d["stepId"].AsString,
        d["traceId"].AsString,
        d["stepNumber"].ToInt32(),
        d["name"].AsString,
        d.OptionalString("kind"),
        d["status"].AsString,
        d["startedAt"].ToInt64(),
        d.OptionalInt64("endedAt"),
        d["document"].AsString);

    public static BsonDocument ToDocument(DataRecord r) => new()
    {
        ["dataId"] = r.DataId,
        ["traceId"] = r.TraceId,
        ["projectId"] = r.ProjectId,
        ["contentType"] = r.ContentType,
        ["size"] = new BsonInt64(r.Size),
        ["sha256"] = MongoBson.Nullable(r.Sha256),
        ["createdAt"] = MongoBson.Date(r.CreatedAt),
    };

    public static DataRecord ToData(BsonDocument d) => new(
        d["dataId"].AsString,
        d["traceId"].AsString,
        d["projectId"].AsString,
        d["contentType"].AsString,
        d["size"].ToInt64(),
        d.OptionalString("sha256"),
        MongoBson.ToDate(d["createdAt"]));

    /// <summary>A trace id is <c>{projectId}-{uuid}</c> with a 24-hex project id.</summary>
    private static string ProjectOf(string traceId) => traceId.Length > 24 ? traceId[..24] : traceId;

    private static BsonDocument IfNull(BsonValue value, BsonValue replacement) => new("$ifNull", new BsonArray { value, replacement });
}
