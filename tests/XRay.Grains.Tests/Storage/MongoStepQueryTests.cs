using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Bson.Serialization.Serializers;
using MongoDB.Driver;
using XRay.Grains.Storage;
using XRay.Grains.Storage.Mongo;

namespace XRay.Grains.Tests.Storage;

/// <summary>What the MongoDB step query refuses without a server: filters it cannot evaluate on its stored fields.</summary>
public sealed class MongoStepQueryTests
{
    [Fact]
    public void Path_and_duration_filters_are_not_supported_yet()
    {
        Assert.Throws<NotSupportedException>(() => MongoStepQuery.Build("p", new StepQuery([new StepFilter(StepField.Path, StepFilterOp.Eq, 1L, ["output", "kept"])], 10, null)));
        Assert.Throws<NotSupportedException>(() => MongoStepQuery.Build("p", new StepQuery([new StepFilter(StepField.DurationMs, StepFilterOp.Gt, 1L)], 10, null)));
        Assert.NotNull(MongoStepQuery.Build("p", new StepQuery([new StepFilter(StepField.Name, StepFilterOp.Contains, "a.b")], 10, new StepCursor(1, "s"))));
    }

    [Fact]
    public void A_contains_value_holding_a_nul_character_is_sent_as_valid_bson()
    {
        // A regex pattern is a C string in BSON: a raw NUL in it cannot be written, and the query would fail with a 500.
        var filter = MongoStepQuery.Build("p", new StepQuery([new StepFilter(StepField.Name, StepFilterOp.Contains, "a\0b")], 10, null));
        var rendered = filter.Render(new RenderArgs<BsonDocument>(BsonDocumentSerializer.Instance, BsonSerializer.SerializerRegistry));
        var pattern = BsonSerializer.Deserialize<BsonDocument>(rendered.ToBson())["name"].AsBsonRegularExpression.Pattern;
        Assert.Matches(new System.Text.RegularExpressions.Regex(pattern), "xa\0bx");
        Assert.DoesNotMatch(new System.Text.RegularExpressions.Regex(pattern), "ab");
    }
}
