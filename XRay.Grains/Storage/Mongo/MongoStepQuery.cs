using System.Text.RegularExpressions;
using MongoDB.Bson;
using MongoDB.Driver;

namespace XRay.Grains.Storage.Mongo;

/// <summary>
/// Translates a <see cref="StepQuery"/> to a MongoDB filter on the step's fields. The step document is stored as a
/// JSON string (so it comes back byte for byte), which Mongo cannot look into: path filters and <c>durationMs</c>
/// (not a stored field) are not supported here yet and throw <see cref="NotSupportedException"/>.
/// </summary>
internal static class MongoStepQuery
{
    private static readonly FilterDefinitionBuilder<BsonDocument> Filter = Builders<BsonDocument>.Filter;

    private static readonly Dictionary<StepField, string> Fields = new()
    {
        [StepField.Name] = "name",
        [StepField.Kind] = "kind",
        [StepField.Status] = "status",
        [StepField.StepNumber] = "stepNumber",
        [StepField.StartedAt] = "startedAt",
        [StepField.TraceId] = "traceId",
    };

    /// <summary>The project's steps matching every filter, after the cursor in (startedAt DESC, stepId DESC) order.</summary>
    public static FilterDefinition<BsonDocument> Build(string projectId, StepQuery query)
    {
        var filter = Filter.Eq("projectId", projectId);
        foreach (var condition in query.Filters)
        {
            filter &= Condition(condition);
        }

        if (query.After is { } after)
        {
            filter &= Filter.Lt("startedAt", after.StartedAt)
                | (Filter.Eq("startedAt", after.StartedAt) & Filter.Lt("stepId", after.StepId));
        }

        return filter;
    }

    private static FilterDefinition<BsonDocument> Condition(StepFilter filter)
    {
        if (!Fields.TryGetValue(filter.Field, out var field))
        {
            throw new NotSupportedException($"The MongoDB store cannot filter steps on {filter.Field} yet (docs/query.md).");
        }

        var value = ToBson(filter.Value);
        return filter.Op switch
        {
            StepFilterOp.Eq => Filter.Eq(field, value),
            StepFilterOp.Ne => Filter.Ne(field, value),
            StepFilterOp.Gt => Filter.Gt(field, value),
            StepFilterOp.Gte => Filter.Gte(field, value),
            StepFilterOp.Lt => Filter.Lt(field, value),
            StepFilterOp.Lte => Filter.Lte(field, value),
            StepFilterOp.Contains => Filter.Regex(field, new BsonRegularExpression(Literal((string)filter.Value))),

            // Absent optional fields are stored as null: { $ne: null } is "present", { $eq: null } is "absent".
            StepFilterOp.Exists => filter.Value is true ? Filter.Ne(field, BsonNull.Value) : Filter.Eq(field, BsonNull.Value),
            _ => throw new ArgumentOutOfRangeException(nameof(filter), filter.Op.ToString()),
        };
    }

    /// <summary>
    /// A pattern matching <paramref name="value"/> literally. BSON stores a pattern as a C string, so a NUL is written as the
    /// escape <c>\x00</c> (which Regex.Escape leaves as it is): a raw one could not be sent at all.
    /// </summary>
    private static string Literal(string value) => Regex.Escape(value).Replace("\0", "\\x00", StringComparison.Ordinal);

    private static BsonValue ToBson(object value) => value switch
    {
        string s => new BsonString(s),
        long l => new BsonInt64(l),
        int i => new BsonInt32(i),
        double d => new BsonDouble(d),
        bool b => BsonBoolean.Create(b),
        _ => throw new ArgumentException($"Unsupported filter value type {value.GetType()}.", nameof(value)),
    };
}
