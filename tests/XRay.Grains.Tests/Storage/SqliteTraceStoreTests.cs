using static XRay.Grains.Tests.Storage.StepRecords;
using XRay.Grains.Storage;
using XRay.Grains.Storage.Sqlite;
using static XRay.Grains.Tests.Storage.StoreIds;

namespace XRay.Grains.Tests.Storage;

/// <summary>The trace contract on the embedded SQLite store.</summary>
public sealed class SqliteTraceStoreTests : TraceStoreContractTests, IDisposable
{
    private readonly SqliteTestDatabase _database = new();
    private readonly List<SqliteTraceStore> _stores = [];

    protected override ITraceStore CreateStore()
    {
        var store = new SqliteTraceStore(_database.Database);
        _stores.Add(store);
        return store;
    }

    [Fact]
    public async Task Path_filters_compare_like_with_like_and_bind_the_path()
    {
        var store = CreateStore();
        var projectId = NewObjectId();
        var traceId = NewTraceId(projectId);
        string[] outputs = ["{\"kept\":12}", "{\"kept\":\"many\"}", "{\"kept\":true}", "{\"other\":1}"];
        var steps = outputs.Select((output, i) => new StepRecord(
            NewUuid(), traceId, i + 1, "filter", null, "ok", 1_000 + i, null, Json($"{{\"stepId\":\"x\",\"output\":{output}}}"))).ToList();
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

    [Fact]
    public async Task Path_eq_also_matches_an_array_holding_the_value_like_with_like_one_level_deep()
    {
        var store = CreateStore();
        var projectId = NewObjectId();
        var traceId = NewTraceId(projectId);
        string[] outputs =
        [
            "{\"tags\":[\"x\",\"y\"]}", "{\"tags\":[12.0,3,1]}", "{\"tags\":[false,true]}", "{\"tags\":[[\"x\"],[12],[true]]}",
            "{\"tags\":\"x\"}", "{\"tags\":12}", "{\"tags\":[\"12\",\"true\",{\"k\":\"x\"},null]}", "{\"tags\":{\"k\":\"x\"}}",
            "{\"tags\":[]}", "{\"other\":1}",
        ];
        var steps = outputs.Select((output, i) => new StepRecord(
            NewUuid(), traceId, i + 1, "rank", null, "ok", 1_000 + i, null, Json($"{{\"stepId\":\"x\",\"output\":{output}}}"))).ToList();
        await store.WriteAsync(new TraceWriteBatch([], steps, []), TestContext.Current.CancellationToken);

        Assert.Equal([5, 1], await Numbers(StepFilterOp.Eq, "x")); // not 4's ["x"], 7's {"k":"x"} or 8's object
        Assert.Equal([1], await Numbers(StepFilterOp.Eq, "y"));
        Assert.Equal([6, 2], await Numbers(StepFilterOp.Eq, 12L)); // 12 matches 12.0; never the string "12" or [12]
        Assert.Equal([6, 2], await Numbers(StepFilterOp.Eq, 12.0));
        Assert.Equal([2], await Numbers(StepFilterOp.Eq, 3L));
        Assert.Equal([3], await Numbers(StepFilterOp.Eq, true)); // not 2's 1, 7's "true" or 4's [true]
        Assert.Equal([3], await Numbers(StepFilterOp.Eq, false));
        Assert.Equal([7], await Numbers(StepFilterOp.Eq, "12"));
        Assert.Equal([7], await Numbers(StepFilterOp.Eq, "true"));
        Assert.Equal([2], await Numbers(StepFilterOp.Eq, 1L)); // not 3's true
        Assert.Equal([10, 9, 8, 7, 6, 4, 3, 2], await Numbers(StepFilterOp.Ne, "x"));
        Assert.Equal([10, 9, 8, 7, 5, 4, 3, 1], await Numbers(StepFilterOp.Ne, 12L));

        // The other comparisons never look into an array.
        Assert.Equal([6], await Numbers(StepFilterOp.Gt, 10L));
        Assert.Equal([5], await Numbers(StepFilterOp.Contains, "x"));

        async Task<IEnumerable<int>> Numbers(StepFilterOp op, object value) =>
            (await store.QueryStepsAsync(projectId, new StepQuery([new StepFilter(StepField.Path, op, value, ["output", "tags"])], 10, null), TestContext.Current.CancellationToken))
            .Select(s => s.StepNumber);
    }

    [Fact]
    public async Task Steps_are_found_by_one_of_their_data_ids()
    {
        var store = CreateStore();
        var projectId = NewObjectId();
        var traceId = NewTraceId(projectId);
        var (first, second, third) = (NewUuid(), NewUuid(), NewUuid());
        string?[] dataIds = [$"[\"{first}\",\"{second}\"]", $"[\"{second}\"]", null, $"[\"{third}\"]"];
        var steps = dataIds.Select((ids, i) => new StepRecord(
            NewUuid(), traceId, i + 1, "rank", null, "ok", 1_000 + i, null, Json(ids is null ? "{\"stepId\":\"x\"}" : $"{{\"stepId\":\"x\",\"dataIds\":{ids}}}"))).ToList();
        await store.WriteAsync(new TraceWriteBatch([], steps, []), TestContext.Current.CancellationToken);

        Assert.Equal([2, 1], await Numbers(StepFilterOp.Eq, second));
        Assert.Equal([1], await Numbers(StepFilterOp.Eq, first));
        Assert.Equal([4, 3], await Numbers(StepFilterOp.Ne, second));
        Assert.Empty(await Numbers(StepFilterOp.Eq, NewUuid()));

        async Task<IEnumerable<int>> Numbers(StepFilterOp op, string value) =>
            (await store.QueryStepsAsync(projectId, new StepQuery([new StepFilter(StepField.Path, op, value, ["dataIds"])], 10, null), TestContext.Current.CancellationToken))
            .Select(s => s.StepNumber);
    }

    [Theory]
    [InlineData(StepFilterOp.Eq, false, false)]
    [InlineData(StepFilterOp.Ne, true, false)]
    [InlineData(StepFilterOp.Eq, true, true)]
    public async Task A_path_eq_or_ne_keeps_the_indexes_that_serve_the_order_and_the_cursor(StepFilterOp op, bool withCursor, bool withName)
    {
        List<StepFilter> filters = [new StepFilter(StepField.Path, op, NewUuid(), ["dataIds"])];
        if (withName)
        {
            filters.Add(new StepFilter(StepField.Name, StepFilterOp.Eq, "rank"));
        }

        var plan = await PlanAsync(new StepQuery(filters, 50, withCursor ? new StepCursor(1_000, NewUuid()) : null));

        // The steps come in query order from the same index as without the filter; only the subquery reads an array's elements.
        Assert.Contains(withName ? "USING INDEX ix_steps_project_name_started (projectId=? AND name=?" : "USING INDEX ix_steps_project_started (projectId=?", plan[0], StringComparison.Ordinal);
        Assert.All(plan.Skip(1), row => Assert.Matches(
            withName ? "^(USE TEMP B-TREE FOR (RIGHT PART|LAST TERM) OF ORDER BY|CORRELATED SCALAR SUBQUERY \\d+|SCAN e VIRTUAL TABLE INDEX .*)$" : "^(CORRELATED SCALAR SUBQUERY \\d+|SCAN e VIRTUAL TABLE INDEX .*)$",
            row));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_name_filter_is_answered_from_an_index_in_the_query_order(bool withCursor)
    {
        var plan = await PlanAsync(new StepQuery(
            [new StepFilter(StepField.Name, StepFilterOp.Eq, "rank")], 50, withCursor ? new StepCursor(1_000, NewUuid()) : null));

        // Not a walk over all the project's steps by time, and no sort of all that match: only of each millisecond's ties.
        Assert.Contains("USING INDEX ix_steps_project_name_started (projectId=? AND name=?", plan[0], StringComparison.Ordinal);
        Assert.All(plan.Skip(1), row => Assert.Matches("^USE TEMP B-TREE FOR (RIGHT PART|LAST TERM) OF ORDER BY$", row));
    }

    [Fact]
    public async Task A_store_made_before_namedAt_gets_the_column_at_start_and_merges_into_its_traces()
    {
        var ct = TestContext.Current.CancellationToken;
        var projectId = NewObjectId();
        var traceId = NewTraceId(projectId);
        var path = _database.Database.DatabasePath;
        await using (var old = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await old.OpenAsync(ct);
            await using var command = old.CreateCommand();
            command.CommandText = $"""
                CREATE TABLE traces (traceId TEXT PRIMARY KEY, projectId TEXT NOT NULL, name TEXT NULL, status TEXT NOT NULL,
                    startedAt INTEGER NOT NULL, endedAt INTEGER NULL, metadata TEXT NULL, output TEXT NULL, error TEXT NULL,
                    stepCount INTEGER NOT NULL DEFAULT 0, updatedAt INTEGER NOT NULL) WITHOUT ROWID;
                INSERT INTO traces VALUES ('{traceId}', '{projectId}', 'old', 'running', 1000, NULL, NULL, NULL, NULL, 0, 1);
                """;
            await command.ExecuteNonQueryAsync(ct);
        }

        var store = CreateStore();
        await store.WriteAsync(new TraceWriteBatch([new TraceUpsert(traceId, projectId, "renamed", "running", 2_000, null, "{}", null, null, 2_000)], [], []), ct);

        var trace = await store.GetTraceAsync(traceId, ct);
        Assert.Equal(("renamed", "{}", 1_000L), (trace?.Name, trace?.Metadata, trace?.StartedAt));
    }

    [Fact]
    public async Task A_store_made_before_project_stats_counts_its_rows_once_at_start_and_keeps_counting()
    {
        var ct = TestContext.Current.CancellationToken;
        var projectId = NewObjectId();
        var running = NewTraceId(projectId);
        var ended = NewTraceId(projectId);
        var path = _database.Database.DatabasePath;
        await using (var old = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await old.OpenAsync(ct);
            await using var command = old.CreateCommand();
            command.CommandText = new SqliteTraceSchema().CreateStatements + $"""
                INSERT INTO traces (traceId, projectId, status, startedAt, updatedAt) VALUES ('{running}', '{projectId}', 'running', 1000, 1);
                INSERT INTO traces (traceId, projectId, status, startedAt, endedAt, updatedAt) VALUES ('{ended}', '{projectId}', 'failure', 1000, 2000, 1);
                INSERT INTO steps (stepId, traceId, projectId, stepNumber, name, status, startedAt, document)
                    VALUES ('{NewUuid()}', '{running}', '{projectId}', 1, 'a', 'ok', 1000, '[]'), ('{NewUuid()}', '{ended}', '{projectId}', 1, 'a', 'ok', 1000, '[]');
                INSERT INTO data (dataId, traceId, projectId, contentType, size, createdAt) VALUES ('{NewUuid()}', '{running}', '{projectId}', 'text/plain', 1, 1);
                """;
            await command.ExecuteNonQueryAsync(ct);
        }

        var store = CreateStore();
        Assert.Equal(new ProjectStats(2, 1, 0, 1, 2, 1), await store.GetProjectStatsAsync(projectId, ct));
        await store.WriteAsync(new TraceWriteBatch(
            [new TraceUpsert(running, projectId, null, "success", 1_000, 3_000, null, "{}", null, null)],
            [new StepRecord(NewUuid(), running, 2, "b", null, "ok", 2_000, null, "{}"u8.ToArray())], []), ct);
        Assert.Equal(new ProjectStats(2, 0, 1, 1, 3, 1), await store.GetProjectStatsAsync(projectId, ct));

        // Started again on the same file (a restart): the table is there, so nothing is counted twice.
        using var restarted = new SqliteDatabase(
            Microsoft.Extensions.Options.Options.Create(new XRay.Grains.Options.SqliteStoreOptions { DataDirectory = Path.GetDirectoryName(path)! }),
            [new SqliteAccountSchema(), new SqliteTraceSchema()]);
        Assert.Equal(path, restarted.DatabasePath);
        await using var again = new SqliteTraceStore(restarted);
        Assert.Equal(new ProjectStats(2, 0, 1, 1, 3, 1), await again.GetProjectStatsAsync(projectId, ct));
    }

    [Fact]
    public async Task Flush_works_before_any_write_and_writes_are_read_back_by_a_fresh_connection()
    {
        var store = CreateStore();
        await store.FlushAsync(TestContext.Current.CancellationToken); // no write-ahead log yet
        var projectId = NewObjectId();
        var traceId = NewTraceId(projectId);
        await store.WriteAsync(
            new TraceWriteBatch([new TraceUpsert(traceId, projectId, "run", "running", 1_000, null, null, null, null, 1_000)],
                [new StepRecord(NewUuid(), traceId, 1, "filter", null, "ok", 1_000, null, "{}"u8.ToArray())], []),
            TestContext.Current.CancellationToken);
        await store.FlushAsync(TestContext.Current.CancellationToken);
        Assert.True(File.Exists(_database.Database.DatabasePath + "-wal"));

        // The writer keeps its own connection; a second store reads through a pooled one.
        var reader = CreateStore();
        Assert.Equal(1, (await reader.GetTraceAsync(traceId, TestContext.Current.CancellationToken))?.StepCount);
    }

    [Fact]
    public async Task A_write_ahead_log_deleted_under_the_open_writer_fails_every_later_flush()
    {
        var store = CreateStore();
        var projectId = NewObjectId();
        await store.WriteAsync(
            new TraceWriteBatch([], [new StepRecord(NewUuid(), NewTraceId(projectId), 1, "filter", null, "ok", 1_000, null, "{}"u8.ToArray())], []),
            TestContext.Current.CancellationToken);
        await store.FlushAsync(TestContext.Current.CancellationToken);

        // What another process closing its connection as the "last user" did before the flush stopped dropping SQLite's lock.
        File.Delete(_database.Database.DatabasePath + "-wal");
        var failure = await Assert.ThrowsAsync<IOException>(() => store.FlushAsync(TestContext.Current.CancellationToken));
        Assert.Contains("deleted", failure.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<IOException>(() => store.FlushAsync(TestContext.Current.CancellationToken));
    }

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        _database.Dispose();
    }

    /// <summary>The detail column of each row of the query's EXPLAIN QUERY PLAN, in order.</summary>
    private async Task<List<string>> PlanAsync(StepQuery query)
    {
        CreateStore(); // creates the schema
        await using var connection = await _database.Database.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        SqliteStepQuery.Build(command, NewObjectId(), query);
        command.CommandText = "EXPLAIN QUERY PLAN " + command.CommandText;
        var plan = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            plan.Add(reader.GetString(3));
        }

        return plan;
    }
}
