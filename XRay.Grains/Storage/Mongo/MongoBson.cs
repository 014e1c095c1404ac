using MongoDB.Bson;

namespace XRay.Grains.Storage.Mongo;

/// <summary>Reading and writing the optional and time-valued fields of the store's documents.</summary>
internal static class MongoBson
{
    public static BsonValue Date(DateTimeOffset value) => new BsonDateTime(value.ToUnixTimeMilliseconds());

    public static DateTimeOffset ToDate(BsonValue value) => DateTimeOffset.FromUnixTimeMilliseconds(value.AsBsonDateTime.MillisecondsSinceEpoch);

    public static BsonValue Nullable(string? value) => value is null ? BsonNull.Value : new BsonString(value);

    public static BsonValue Nullable(long? value) => value is null ? BsonNull.Value : new BsonInt64(value.Value);

    /// <summary>A constant inside an aggregation expression: <c>$literal</c> keeps a value starting with <c>$</c> from being read as a field path.</summary>
    public static BsonDocument Literal(BsonValue value) => new("$literal", value);

    public static string? OptionalString(this BsonDocument document, string name) =>
        document.TryGetValue(name, out var value) && !value.IsBsonNull ? value.AsString : null;

    public static long? OptionalInt64(this BsonDocument document, string name) =>
        document.TryGetValue(name, out var value) && !value.IsBsonNull ? value.ToInt64() : null;

    public static DateTimeOffset? OptionalDate(this BsonDocument document, string name) =>
        document.TryGetValue(name, out var value) && !value.IsBsonNull ? ToDate(value) : null;
}
