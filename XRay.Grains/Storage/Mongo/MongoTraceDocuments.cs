using System.Text;
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
    /// <see cref="TraceUpsert.Merge"/> as one <c>$set</c> stage of an upsert's update pipeline (every expression of a
    /// stage sees the document as it came in): the earliest start wins (<c>$min</c> ignores a missing field, so an
    /// insert takes the new start); name, metadata and <c>namedAt</c> come from the later <c>trace</c> event, status,
    /// end, output and error from the later end. Strings compare as UTF-8 bytes (no collation), as in the reference.
    /// </summary>
    public static BsonDocument MergeStage(TraceUpsert t, long now)
    {
        var stage = new BsonDocument
        {
            ["projectId"] = IfNull("$projectId", new BsonString(t.ProjectId)),
            ["startedAt"] = new BsonDocument("$min", new BsonArray { "$startedAt", new BsonInt64(t.StartedAt) }),
            ["stepCount"] = IfNull("$stepCount", new BsonInt64(0)),
            ["updatedAt"] = new BsonInt64(now),
        };

        // Without a trace event (or an end) the upsert keeps what is stored; an insert stores null (and running).
        BsonValue names = t.Name is null
            ? BsonBoolean.False
            : Or(new BsonDocument("$eq", new BsonArray { IfNull("$name", BsonNull.Value), BsonNull.Value }),
                Later(
                    [new BsonInt64(t.NamedAt ?? long.MinValue), MongoBson.Literal(t.Name), MongoBson.Literal(t.Metadata ?? "")],
                    [IfNull("$namedAt", new BsonInt64(long.MinValue)), "$name", IfNull("$metadata", "")]));
        stage["name"] = Pick(names, MongoBson.Literal(MongoBson.Nullable(t.Name)), IfNull("$name", BsonNull.Value));
        stage["metadata"] = Pick(names, MongoBson.Literal(MongoBson.Nullable(t.Metadata)), IfNull("$metadata", BsonNull.Value));
        stage["namedAt"] = Pick(names, MongoBson.Nullable(t.NamedAt), IfNull("$namedAt", BsonNull.Value));

        BsonValue ends = t.Status == "running"
            ? BsonBoolean.False
            : Or(new BsonDocument("$eq", new BsonArray { IfNull("$status", "running"), "running" }),
                Later(
                    [new BsonInt64(t.EndedAt ?? long.MinValue), new BsonBoolean(t.Status == "failure"), MongoBson.Literal(t.Output ?? ""), MongoBson.Literal(t.Error ?? "")],
                    [IfNull("$endedAt", new BsonInt64(long.MinValue)), new BsonDocument("$eq", new BsonArray { "$status", "failure" }), IfNull("$output", ""), IfNull("$error", "")]));
        stage["status"] = Pick(ends, MongoBson.Literal(t.Status), IfNull("$status", "running"));
        stage["endedAt"] = Pick(ends, MongoBson.Literal(MongoBson.Nullable(t.EndedAt)), IfNull("$endedAt", BsonNull.Value));
        stage["output"] = Pick(ends, MongoBson.Literal(MongoBson.Nullable(t.Output)), IfNull("$output", BsonNull.Value));
        stage["error"] = Pick(ends, MongoBson.Literal(MongoBson.Nullable(t.Error)), IfNull("$error", BsonNull.Value));
        return new BsonDocument("$set", stage);
    }

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
        ["document"] = Encoding.UTF8.GetString(s.Document), // JSON text, so that it comes back byte for byte (MongoStepQuery)
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
        StepDocumentOf(d));

    /// <summary>A step's document as <see cref="StepRecord.Document"/> holds it: the UTF-8 bytes of the stored JSON text.</summary>
    public static byte[] StepDocumentOf(BsonDocument d) => Encoding.UTF8.GetBytes(d["document"].AsString);

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

    private static BsonDocument Or(BsonValue x, BsonValue y) => new("$or", new BsonArray { x, y });

    /// <summary>The incoming value where <paramref name="condition"/> holds (a constant false keeps the stored one as it is).</summary>
    private static BsonValue Pick(BsonValue condition, BsonValue incoming, BsonValue stored) =>
        condition == BsonBoolean.False ? stored : new BsonDocument("$cond", new BsonArray { condition, incoming, stored });

    /// <summary><paramref name="x"/> after <paramref name="y"/> in lexicographic order, element by element (BSON comparison order).</summary>
    private static BsonDocument Later(BsonValue[] x, BsonValue[] y)
    {
        var any = new BsonArray();
        for (var i = 0; i < x.Length; i++)
        {
            var all = new BsonArray();
            for (var j = 0; j < i; j++)
            {
                all.Add(new BsonDocument("$eq", new BsonArray { x[j], y[j] }));
            }

            all.Add(new BsonDocument("$gt", new BsonArray { x[i], y[i] }));
            any.Add(new BsonDocument("$and", all));
        }

        return new BsonDocument("$or", any);
    }
}
