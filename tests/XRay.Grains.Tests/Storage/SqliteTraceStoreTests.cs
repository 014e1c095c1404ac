using XRay.Grains.Storage;
using XRay.Grains.Storage.Sqlite;
using static XRay.Grains.Tests.Storage.StoreIds;

namespace XRay.Grains.Tests.Storage;

/// <summary>The trace contract on the embedded SQLite store.</summary>
public sealed class SqliteTraceStoreTests : TraceStoreContractTests, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override ITraceStore CreateStore() => new SqliteTraceStore(_database.Database);

    [Fact]
    public async Task Path_filters_compare_like_with_like_and_bind_the_path()
    {
        var store = CreateStore();
        var projectId = NewObjectId();
        var traceId = NewTraceId(projectId);
        string[] outputs = ["{\"kept\":12}", "{\"kept\":\"many\"}", "{\"kept\":true}", "{\"other\":1}"];
        var steps = outputs.Select((output, i) => new StepRecord(
            NewUuid(), traceId, i + 1, "filter", null, "ok", 1_000 + i, null, $"{{\"stepId\":\"x\",\"output\":{output}}}")).ToList();
        await store.WriteAsync(new TraceWriteBatch([], steps, []), TestContext.Current.CancellationToken);

        Assert.Equal([1], await Numbers(new StepFilter(StepField.Path, StepFilterOp.Gt, 10L, ["output", "kept"])));
        Assert.Equal([2], await Numbers(new StepFilter(StepField.Path, StepFilterOp.Gt, "a", ["output", "kept"])));
        Assert.Equal([2], await Numbers(new StepFilter(StepField.Path, StepFilterOp.Contains, "an", ["output", "kept"])));
        Assert.Equal([3], await Numbers(new StepFilter(StepField.Path, StepFilterOp.Eq, true, ["output", "kept"])));
        Assert.Equal([4, 3, 2], await Numbers(new StepFilter(StepField.Path, StepFilterOp.Ne, 12L, ["output", "kept"])));
        Assert.Equal([4], await Numbers(new StepFilter(StepField.Path, StepFilterOp.Exists, false, ["output", "kept"])));
        await Assert.ThrowsAsync<ArgumentException>(() => Numbers(new StepFilter(StepField.Path, StepFilterOp.Eq, 1L, ["output", "a') OR 1=1 --"])));

        async Task<IEnumerable<int>> Numbers(StepFilter filter) =>
            (await store.QueryStepsAsync(projectId, new StepQuery([filter], 10, null), TestContext.Current.CancellationToken)).Select(s => s.StepNumber);
    }

    public void Dispose() => _database.Dispose();
}
