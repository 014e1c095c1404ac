using XRay.Grains.Storage;
using static XRay.Grains.Tests.Storage.StoreIds;

namespace XRay.Grains.Tests.Storage;

/// <summary>
/// The behaviour every <see cref="ITraceStore"/> must show: order-independent trace merges, idempotent step and
/// data inserts, and project-scoped, newest-first paging. An implementation's test class inherits this and opens
/// a fresh, empty store per test; one that needs a server skips itself in <see cref="CreateStore"/>.
/// </summary>
public abstract class TraceStoreContractTests
{
    private readonly string _projectId = NewObjectId();

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Opens the store under test on empty storage.</summary>
    protected abstract ITraceStore CreateStore();

    [Fact]
    public async Task A_success_written_before_the_start_keeps_the_success_and_gets_the_name()
    {
        var store = CreateStore();
        var traceId = NewTraceId(_projectId);

        await Write(store, new TraceUpsert(traceId, _projectId, null, "success", 2_000, 5_000, null, "{\"ok\":true}", null, null));
        await Write(store, new TraceUpsert(traceId, _projectId, "checkout", "running", 1_000, null, "{\"env\":\"test\"}", null, null, 1_000));

        var trace = await store.GetTraceAsync(traceId, Ct);
        Assert.NotNull(trace);
        Assert.Equal(
            new TraceRecord(traceId, _projectId, "checkout", "success", 1_000, 5_000, "{\"env\":\"test\"}", "{\"ok\":true}", null, 0, trace.UpdatedAt),
            trace);
    }

    [Fact]
    public async Task The_earliest_start_wins_and_present_fields_overwrite_absent_ones()
    {
        var store = CreateStore();
        var traceId = NewTraceId(_projectId);

        await Write(store, new TraceUpsert(traceId, _projectId, "ingest", "running", 1_000, null, "{\"a\":1}", null, null, 1_000));
        await Write(store, new TraceUpsert(traceId, _projectId, null, "running", 3_000, null, null, null, null, null));
        await Write(store, new TraceUpsert(traceId, _projectId, null, "failure", 4_000, 4_500, null, null, "{\"message\":\"boom\"}", null));
        await Write(store, new TraceUpsert(traceId, _projectId, null, "running", 500, null, null, null, null, null));

        var trace = await store.GetTraceAsync(traceId, Ct);
        Assert.NotNull(trace);
        Assert.Equal(("ingest", "failure", 500L, (long?)4_500), (trace.Name, trace.Status, trace.StartedAt, trace.EndedAt));
        Assert.Equal(("{\"a\":1}", "{\"message\":\"boom\"}"), (trace.Metadata, trace.Error));
        Assert.Null(await store.GetTraceAsync(NewTraceId(_projectId), Ct));
    }

    [Fact]
    public async Task Trace_merges_store_the_same_trace_in_any_order_and_after_redelivery()
    {
        var store = CreateStore();
        TraceUpsert[] upserts =
        [
            new("t", _projectId, null, "running", 3_000, null, null, null, null, null),
            new("t", _projectId, "a-first", "running", 1_000, null, "{\"v\":1}", null, null, 1_000),
            new("t", _projectId, "b-second", "running", 2_000, null, "{\"v\":2}", null, null, 5_000),
            // Ties at 5,000: the name decides in UTF-8 byte order (U+1F600 after U+E000; in UTF-16 order it is before).
            new("t", _projectId, "b-second-\uE000", "running", 2_000, null, "{\"v\":3}", null, null, 5_000),
            new("t", _projectId, "b-second-\U0001F600", "running", 2_000, null, "{\"v\":4}", null, null, 5_000),
            new("t", _projectId, "b-second-\U0001F600", "running", 2_000, null, "{\"v\":0}", null, null, 5_000),
            new("t", _projectId, null, "success", 2_000, 8_000, null, "{\"o\":1}", null, null),
            new("t", _projectId, null, "success", 2_000, 9_000, null, "{\"o\":2}", null, null),
            // Ties at 9,000: failure before success, then the error decides.
            new("t", _projectId, null, "failure", 2_000, 9_000, null, null, "{\"e\":1}", null),
            new("t", _projectId, null, "failure", 2_000, 9_000, null, null, "{\"e\":0}", null),
            new("t", _projectId, null, "running", 500, null, null, null, null, null),
        ];
        var expected = upserts.Aggregate(TraceUpsert.Merge);
        Assert.Equal(
            ("b-second-\U0001F600", "{\"v\":4}", 5_000L, "failure", 500L, 9_000L, (string?)null, "{\"e\":1}"),
            (expected.Name, expected.Metadata, expected.NamedAt, expected.Status, expected.StartedAt, expected.EndedAt, expected.Output, expected.Error));

        var random = new Random(7);
        for (var round = 0; round < 6; round++)
        {
            var traceId = NewTraceId(_projectId);
            var order = upserts.Select(u => u with { TraceId = traceId }).OrderBy(_ => random.Next()).ToList();
            Assert.Equal(expected with { TraceId = traceId }, order.Aggregate(TraceUpsert.Merge));

            // One write per upsert, then the first few again (a retried write landing after later ones).
            foreach (var upsert in order.Concat(order.Take(4)))
            {
                await Write(store, upsert);
            }

            var trace = await store.GetTraceAsync(traceId, Ct);
            Assert.NotNull(trace);
            Assert.Equal(
                (expected.Name, expected.Metadata, expected.Status, expected.StartedAt, expected.EndedAt, expected.Output, expected.Error),
                (trace.Name, trace.Metadata, trace.Status, trace.StartedAt, trace.EndedAt, trace.Output, trace.Error));
        }
    }

    [Fact]
    public async Task Duplicate_step_ids_are_ignored_and_the_step_count_follows_the_stored_steps()
    {
        var store = CreateStore();
        var traceId = NewTraceId(_projectId);
        var first = Step(traceId, 1);
        var second = Step(traceId, 2);

        var firstWrite = await store.WriteAsync(new TraceWriteBatch([Start(traceId, 1_000)], [first, second], []), Ct);
        var third = Step(traceId, 3);
        var secondWrite = await store.WriteAsync(new TraceWriteBatch([], [second with { Name = "replayed" }, third, first], []), Ct);

        Assert.Equal(new TraceWriteCounts(Steps: 2, Data: 0), firstWrite); // what the store newly inserted (xray.store.rows)
        Assert.Equal(new TraceWriteCounts(Steps: 1, Data: 0), secondWrite);

        Assert.Equal([Text(first), Text(second), Text(third)], await StepDocuments(store, traceId));
        Assert.Equal([first, second, third], await StepRows(store, traceId), StepRecords.ByContent); // the replay's name was ignored
        Assert.Equal(3, (await store.GetTraceAsync(traceId, Ct))!.StepCount);
    }

    [Fact]
    public async Task Steps_written_before_their_trace_are_counted()
    {
        var store = CreateStore();
        var traceId = NewTraceId(_projectId);

        await store.WriteAsync(new TraceWriteBatch([], [Step(traceId, 1), Step(traceId, 2)], []), Ct);
        await Write(store, Start(traceId, 1_000));

        Assert.Equal(2, (await store.GetTraceAsync(traceId, Ct))!.StepCount);
    }

    [Fact]
    public async Task Steps_come_back_ordered_by_step_number()
    {
        var store = CreateStore();
        var traceId = NewTraceId(_projectId);
        var steps = new[] { Step(traceId, 3), Step(traceId, 1) with { Kind = null, EndedAt = null }, Step(traceId, 2) };

        await store.WriteAsync(new TraceWriteBatch([Start(traceId, 1_000)], steps, []), Ct);

        Assert.Equal([Text(steps[1]), Text(steps[2]), Text(steps[0])], await StepDocuments(store, traceId));
        Assert.Equal([steps[1], steps[2], steps[0]], await StepRows(store, traceId), StepRecords.ByContent);
        Assert.Empty(await StepDocuments(store, NewTraceId(_projectId)));
    }

    [Fact]
    public async Task Data_inserts_are_idempotent_and_found_only_under_their_trace()
    {
        var store = CreateStore();
        var traceId = NewTraceId(_projectId);
        var blob = new DataRecord(NewUuid(), traceId, _projectId, "application/json", 42, "ab12", At(1_700_000_000_000));
        var batched = new DataRecord(NewUuid(), traceId, _projectId, "text/plain", 7, null, At(1_700_000_000_001));

        await store.InsertDataAsync([blob], Ct);
        await store.InsertDataAsync([blob with { Size = 99 }], Ct);
        Assert.Equal(new TraceWriteCounts(Steps: 0, Data: 1), await store.WriteAsync(new TraceWriteBatch([], [], [batched, blob]), Ct));

        Assert.Equal(blob, await store.FindDataAsync(traceId, blob.DataId, Ct));
        Assert.Null(await store.FindDataAsync(NewTraceId(_projectId), blob.DataId, Ct));
        Assert.Null(await store.FindDataAsync(traceId, NewUuid(), Ct));
        Assert.Equal([blob, batched], await store.GetDataAsync(traceId, Ct));
    }

    [Fact]
    public async Task Traces_are_paged_newest_first_with_a_cursor_and_never_cross_projects()
    {
        var store = CreateStore();
        var otherProject = NewObjectId();
        var mine = Enumerable.Range(0, 7).Select(i => Start(NewTraceId(_projectId), 1_000 + (i / 2 * 100))).ToList();
        var theirs = Enumerable.Range(0, 4).Select(i => Start(NewTraceId(otherProject), 1_000 + (i * 100))).ToList();
        await store.WriteAsync(new TraceWriteBatch([.. mine, .. theirs], [], []), Ct);

        var pages = new List<IReadOnlyList<TraceRecord>>();
        TraceCursor? after = null;
        do
        {
            var page = await store.ListTracesAsync(_projectId, new TraceQuery(null, null, null, null, 3, after), Ct);
            pages.Add(page);
            after = page.Count == 0 ? null : new TraceCursor(page[^1].StartedAt, page[^1].TraceId);
        }
        while (after is not null && pages.Count < 10);

        var expected = mine.OrderByDescending(t => t.StartedAt).ThenByDescending(t => t.TraceId, StringComparer.Ordinal).Select(t => t.TraceId);
        Assert.Equal(expected, pages.SelectMany(p => p).Select(t => t.TraceId));
        Assert.Equal([3, 3, 1, 0], pages.Select(p => p.Count));
        Assert.Empty(await store.ListTracesAsync(NewObjectId(), new TraceQuery(null, null, null, null, 10, null), Ct));
    }

    [Fact]
    public async Task Traces_are_filtered_by_status_name_and_start_time()
    {
        var store = CreateStore();
        var a = Start(NewTraceId(_projectId), 1_000) with { Name = "etl" };
        var b = Start(NewTraceId(_projectId), 2_000) with { Name = "etl", Status = "success", EndedAt = 2_500 };
        var c = Start(NewTraceId(_projectId), 3_000) with { Name = "report", Status = "failure", EndedAt = 3_500 };
        var foreign = Start(NewTraceId(NewObjectId()), 2_000) with { Name = "etl", Status = "success" };
        await store.WriteAsync(new TraceWriteBatch([a, b, c, foreign], [], []), Ct);

        Assert.Equal([b.TraceId], await Ids(store, new TraceQuery("success", null, null, null, 10, null)));
        Assert.Equal([b.TraceId, a.TraceId], await Ids(store, new TraceQuery(null, "etl", null, null, 10, null)));
        Assert.Equal([c.TraceId, b.TraceId], await Ids(store, new TraceQuery(null, null, 2_000, null, 10, null)));
        Assert.Equal([a.TraceId], await Ids(store, new TraceQuery(null, null, null, 2_000, 10, null)));
        Assert.Equal([b.TraceId], await Ids(store, new TraceQuery(null, "etl", 1_500, 3_000, 10, null)));
        Assert.Empty(await Ids(store, new TraceQuery("running", "report", null, null, 10, null)));
    }

    [Fact]
    public async Task Step_queries_filter_on_columns_page_newest_first_and_stay_in_the_project()
    {
        var store = CreateStore();
        var traceId = NewTraceId(_projectId);
        var other = NewTraceId(NewObjectId());
        var steps = Enumerable.Range(1, 5).Select(n => Step(traceId, n) with { Kind = n % 2 == 0 ? "rank" : "llm" }).ToList();
        await store.WriteAsync(new TraceWriteBatch([Start(traceId, 1_000), Start(other, 1_000)], [.. steps, Step(other, 1), Step(other, 2)], []), Ct);

        Assert.Equal([5, 4, 3, 2, 1], await StepNumbers(store, new StepQuery([], 10, null)));
        Assert.Equal([4, 2], await StepNumbers(store, new StepQuery([new StepFilter(StepField.Kind, StepFilterOp.Eq, "rank")], 10, null)));
        Assert.Equal([5, 3, 1], await StepNumbers(store, new StepQuery([new StepFilter(StepField.Kind, StepFilterOp.Ne, "rank")], 10, null)));
        Assert.Equal([4, 3], await StepNumbers(store, new StepQuery(
            [new StepFilter(StepField.StepNumber, StepFilterOp.Gte, 3L), new StepFilter(StepField.StepNumber, StepFilterOp.Lt, 5.0)], 10, null)));
        Assert.Equal([1], await StepNumbers(store, new StepQuery([new StepFilter(StepField.Name, StepFilterOp.Contains, "p-1")], 10, null)));
        Assert.Equal([5, 4, 3, 2, 1], await StepNumbers(store, new StepQuery([new StepFilter(StepField.TraceId, StepFilterOp.Eq, traceId)], 10, null)));
        Assert.Empty(await StepNumbers(store, new StepQuery([new StepFilter(StepField.TraceId, StepFilterOp.Eq, other)], 10, null)));
        Assert.Empty(await StepNumbers(store, new StepQuery([new StepFilter(StepField.Name, StepFilterOp.Eq, "x' OR 1=1 --")], 10, null)));

        var after = new StepCursor(steps[3].StartedAt, steps[3].StepId);
        Assert.Equal([3, 2], await StepNumbers(store, new StepQuery([], 2, after)));
    }

    [Fact]
    public async Task Empty_and_non_ascii_text_round_trips_exactly_and_null_stays_null()
    {
        var store = CreateStore();
        var traceId = NewTraceId(_projectId);
        var step = new StepRecord(NewUuid(), traceId, 1, "rang é 名前 🚀", "", "ok", 1_000, null, StepRecords.Json("{\"reasoning\":\"über 🧪\"}"));
        var withoutKind = Step(traceId, 2) with { Kind = null };
        await store.WriteAsync(new TraceWriteBatch(
            [new TraceUpsert(traceId, _projectId, "", "running", 1_000, null, "{\"é\":\"名\"}", null, null, 1_000)], [step, withoutKind], []), Ct);

        var trace = await store.GetTraceAsync(traceId, Ct);
        Assert.Equal("", trace!.Name);
        Assert.Equal("{\"é\":\"名\"}", trace.Metadata);
        Assert.Null(trace.Output);
        Assert.Equal([step, withoutKind], await StepRows(store, traceId), StepRecords.ByContent);
        Assert.Equal([Text(step), Text(withoutKind)], await StepDocuments(store, traceId)); // the UTF-8 bytes as written
    }

    [Fact]
    public async Task Project_stats_count_traces_by_status_steps_and_data_once_and_per_project()
    {
        var store = CreateStore();
        var otherProject = NewObjectId();
        Assert.Equal(ProjectStats.Empty, await store.GetProjectStatsAsync(_projectId, Ct));

        var running = Start(NewTraceId(_projectId), 1_000);
        var succeeded = Start(NewTraceId(_projectId), 2_000) with { Status = "success", EndedAt = 2_500 };
        var failed = Start(NewTraceId(_projectId), 3_000) with { Status = "failure", EndedAt = 3_500 };
        var foreign = Start(NewTraceId(otherProject), 1_000);
        var batch = new TraceWriteBatch(
            [running, succeeded, failed, foreign],
            [Step(running.TraceId, 1), Step(running.TraceId, 2), Step(succeeded.TraceId, 1), Step(foreign.TraceId, 1)],
            [Blob(running.TraceId), Blob(failed.TraceId)]);
        await store.WriteAsync(batch, Ct);

        var expected = new ProjectStats(Traces: 3, Running: 1, Success: 1, Failure: 1, Steps: 3, Data: 2);
        Assert.Equal(expected, await store.GetProjectStatsAsync(_projectId, Ct));
        Assert.Equal(new ProjectStats(1, 1, 0, 0, 1, 0), await store.GetProjectStatsAsync(otherProject, Ct));

        // Redelivery: the same rows again, in one batch and piecemeal, insert nothing and so count nothing.
        await store.WriteAsync(batch, Ct);
        await store.WriteAsync(new TraceWriteBatch([succeeded], [batch.Steps[2]], []), Ct);
        await store.InsertDataAsync([batch.Data[0]], Ct);
        Assert.Equal(expected, await store.GetProjectStatsAsync(_projectId, Ct));
        Assert.Equal(new ProjectStats(1, 1, 0, 0, 1, 0), await store.GetProjectStatsAsync(otherProject, Ct));
        Assert.Equal(ProjectStats.Empty, await store.GetProjectStatsAsync(NewObjectId(), Ct));
    }

    [Fact]
    public async Task Project_stats_move_one_count_when_a_trace_ends_and_not_back_on_a_late_start()
    {
        var store = CreateStore();
        var traceId = NewTraceId(_projectId);
        var other = NewTraceId(_projectId);
        await store.WriteAsync(new TraceWriteBatch([], [Step(traceId, 1), Step(traceId, 2)], []), Ct); // steps before their trace
        await Write(store, Start(traceId, 1_000));
        await Write(store, Start(other, 1_000));
        Assert.Equal(new ProjectStats(2, 2, 0, 0, 2, 0), await store.GetProjectStatsAsync(_projectId, Ct));

        await Write(store, new TraceUpsert(traceId, _projectId, null, "success", 1_000, 5_000, null, "{}", null, null));
        Assert.Equal(new ProjectStats(2, 1, 1, 0, 2, 0), await store.GetProjectStatsAsync(_projectId, Ct));

        // A late trace event (running) and a redelivered end keep the end, and the counts.
        await Write(store, Start(traceId, 900) with { Name = "late", NamedAt = 6_000 });
        await Write(store, new TraceUpsert(traceId, _projectId, null, "success", 1_000, 5_000, null, "{}", null, null));
        Assert.Equal("success", (await store.GetTraceAsync(traceId, Ct))!.Status);
        Assert.Equal(new ProjectStats(2, 1, 1, 0, 2, 0), await store.GetProjectStatsAsync(_projectId, Ct));

        // A later end replaces the earlier one (TraceUpsert.Merge): one count moves from success to failure.
        await Write(store, new TraceUpsert(traceId, _projectId, null, "failure", 1_000, 7_000, null, null, "{}", null));
        Assert.Equal(new ProjectStats(2, 1, 0, 1, 2, 0), await store.GetProjectStatsAsync(_projectId, Ct));
    }

    /// <summary>The trace's step documents as <c>GET /api/v1/traces/:traceId</c> reads them, decoded (strict UTF-8).</summary>
    private static string Text(StepRecord step) => StrictUtf8.GetString(step.Document);

    private static async Task<List<string>> StepDocuments(ITraceStore store, string traceId) =>
        [.. (await store.ReadStepDocumentsAsync(traceId, Ct).ToListAsync(Ct)).Select(d => StrictUtf8.GetString(d.Span))];

    /// <summary>The trace's step rows, every column, through the step query (newest first there), in step order.</summary>
    private async Task<StepRecord[]> StepRows(ITraceStore store, string traceId) =>
        [.. (await store.QueryStepsAsync(_projectId, new StepQuery([new StepFilter(StepField.TraceId, StepFilterOp.Eq, traceId)], 100, null), Ct)).OrderBy(s => s.StepNumber)];

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private async Task<IEnumerable<int>> StepNumbers(ITraceStore store, StepQuery query) =>
        (await store.QueryStepsAsync(_projectId, query, Ct)).Select(s => s.StepNumber);

    private async Task<IEnumerable<string>> Ids(ITraceStore store, TraceQuery query) =>
        (await store.ListTracesAsync(_projectId, query, Ct)).Select(t => t.TraceId);

    private static Task<TraceWriteCounts> Write(ITraceStore store, TraceUpsert trace) => store.WriteAsync(new TraceWriteBatch([trace], [], []), Ct);

    private static TraceUpsert Start(string traceId, long startedAt) =>
        new(traceId, traceId[..24], "pipeline", "running", startedAt, null, null, null, null, startedAt);

    private static DataRecord Blob(string traceId) => new(NewUuid(), traceId, traceId[..24], "application/json", 2, null, At(1_700_000_000_000));

    private static StepRecord Step(string traceId, int number) => new(
        NewUuid(), traceId, number, $"step-{number}", "llm", "success", 1_000 + number, 1_050 + number, StepRecords.Json($"{{\"stepNumber\":{number}}}"));
}
