using System.Text;
using MongoDB.Bson;
using XRay.Grains.Storage;
using XRay.Grains.Storage.Mongo;

namespace XRay.Grains.Tests.Storage;

/// <summary>
/// Evaluates <see cref="MongoTraceDocuments.MergeStage"/> offline with MongoDB's documented expression semantics
/// ($set sees the incoming document; missing and null as $ifNull/$min treat them; BSON comparison order with
/// strings compared as UTF-8 bytes under the simple collation) and checks it against <see cref="TraceUpsert.Merge"/>
/// for many upserts in many orders.
/// </summary>
public sealed class MongoMergePipelineTests
{
    [Fact]
    public void The_pipeline_merges_as_the_reference_in_every_order()
    {
        var random = new Random(1234);
        for (var round = 0; round < 3000; round++)
        {
            var upserts = Enumerable.Range(0, random.Next(1, 5)).Select(_ => RandomUpsert(random)).ToList();
            var order = upserts.OrderBy(_ => random.Next()).ToList();

            var expected = order.Skip(1).Aggregate(order[0], TraceUpsert.Merge);
            var stored = new BsonDocument("traceId", "t");
            foreach (var upsert in order)
            {
                stored = ApplySet(stored, MongoTraceDocuments.MergeStage(upsert, 1)["$set"].AsBsonDocument);
            }

            var actual = ToUpsert(stored);
            Assert.True(Same(expected, actual), $"round {round}: expected {expected}, pipeline gave {actual}; order: {string.Join(" | ", order)}");
        }
    }

    private static readonly string?[] Texts = [null, "", "a", "b", "$x", "é", "\uFFFF", "\U0001F600"];

    private static TraceUpsert RandomUpsert(Random random)
    {
        var named = random.Next(2) == 0;
        var status = new[] { "running", "success", "failure" }[random.Next(3)];
        var ended = status != "running";
        return new TraceUpsert(
            "t", "p",
            named ? Texts[random.Next(1, Texts.Length)] : null,
            status,
            random.Next(0, 3),
            ended ? (random.Next(4) == 0 ? null : random.Next(0, 3)) : null,
            named ? Texts[random.Next(Texts.Length)] : null,
            ended ? Texts[random.Next(Texts.Length)] : null,
            ended ? Texts[random.Next(Texts.Length)] : null,
            named ? (random.Next(4) == 0 ? null : random.Next(0, 3)) : null);
    }

    private static bool Same(TraceUpsert x, TraceUpsert y) =>
        x.Name == y.Name && x.Metadata == y.Metadata && x.NamedAt == y.NamedAt && x.Status == y.Status && x.EndedAt == y.EndedAt
        && x.Output == y.Output && x.Error == y.Error && x.StartedAt == y.StartedAt;

    private static TraceUpsert ToUpsert(BsonDocument d) => new(
        "t", d["projectId"].AsString, d.OptionalString("name"), d["status"].AsString, d["startedAt"].ToInt64(), d.OptionalInt64("endedAt"),
        d.OptionalString("metadata"), d.OptionalString("output"), d.OptionalString("error"), d.OptionalInt64("namedAt"));

    /// <summary>One $set stage: every expression sees the document as it came in.</summary>
    private static BsonDocument ApplySet(BsonDocument input, BsonDocument set)
    {
        var output = input.DeepClone().AsBsonDocument;
        foreach (var field in set)
        {
            var value = Eval(field.Value, input);
            if (value is null)
            {
                output.Remove(field.Name);
            }
            else
            {
                output[field.Name] = value;
            }
        }

        return output;
    }

    /// <summary>null = missing.</summary>
    private static BsonValue? Eval(BsonValue expression, BsonDocument doc)
    {
        if (expression is BsonString { Value: var path } && path.StartsWith('$'))
        {
            return doc.TryGetValue(path[1..], out var v) ? v : null;
        }

        if (expression is not BsonDocument { ElementCount: 1 } op || !op.GetElement(0).Name.StartsWith('$'))
        {
            return expression;
        }

        var (name, arg) = (op.GetElement(0).Name, op.GetElement(0).Value);
        BsonValue?[] Args() => [.. arg.AsBsonArray.Select(a => Eval(a, doc))];
        switch (name)
        {
            case "$literal":
                return arg;
            case "$ifNull":
                {
                    var a = Args();
                    return a[0] is null or BsonNull ? a[1] : a[0];
                }

            case "$min":
                {
                    var present = Args().Where(a => a is not null and not BsonNull).ToList();
                    return present.Count == 0 ? BsonNull.Value : present.Aggregate((x, y) => Compare(x, y) <= 0 ? x : y);
                }

            case "$eq":
                {
                    var a = Args();
                    return Compare(a[0], a[1]) == 0;
                }

            case "$gt":
                {
                    var a = Args();
                    return Compare(a[0], a[1]) > 0;
                }

            case "$and":
                return Args().All(a => a!.AsBoolean);
            case "$or":
                return Args().Any(a => a!.AsBoolean);
            case "$cond":
                {
                    var a = arg.AsBsonArray;
                    return Eval(a[0], doc)!.AsBoolean ? Eval(a[1], doc) : Eval(a[2], doc);
                }

            default:
                throw new NotSupportedException(name);
        }
    }

    /// <summary>BSON comparison order: missing, null, numbers, strings (UTF-8 bytes), booleans.</summary>
    private static int Compare(BsonValue? x, BsonValue? y)
    {
        int Rank(BsonValue? v) => v switch { null => 0, BsonNull => 1, BsonInt32 or BsonInt64 or BsonDouble => 2, BsonString => 3, BsonBoolean => 4, _ => throw new NotSupportedException(v.BsonType.ToString()) };
        var order = Rank(x).CompareTo(Rank(y));
        if (order != 0 || x is null or BsonNull)
        {
            return order;
        }

        return x switch
        {
            BsonString s => Encoding.UTF8.GetBytes(s.Value).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y!.AsString)),
            BsonBoolean b => b.Value.CompareTo(y!.AsBoolean),
            _ => x.ToDouble().CompareTo(y!.ToDouble()),
        };
    }
}
