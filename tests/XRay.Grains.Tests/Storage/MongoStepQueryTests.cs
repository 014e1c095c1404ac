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
}
