using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using XRay.Testing;

namespace XRay.Gateway.Tests.Ingest;

/// <summary><c>POST /api/v1/projects/{projectId}/query</c> over the real gateway: filters, paging, scoping, validation.</summary>
[Collection(GatewayCollection.Name)]
public sealed class StepQueryTests(GatewayFixture fixture)
{
    private static readonly DateTimeOffset Start = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task Steps_are_found_by_columns_paths_and_combined_filters()
    {
        var (project, a, b) = await SeedAsync();

        Assert.Equal([b[0], a[0]], await StepIdsAsync(project, Filter("name", "eq", "keywords")));
        Assert.Equal([a[2], a[1]], await StepIdsAsync(project, Filter("output.kept", "gt", 10))); // b's "many" is a string: no match
        Assert.Equal([a[3]], await StepIdsAsync(project, Filter("status", "eq", "error")));
        Assert.Equal([a[3]], await StepIdsAsync(project, Filter("error.message", "contains", "timed out")));
        Assert.Equal([b[1], a[2]], await StepIdsAsync(project, Filter("kind", "eq", "filter")));
        Assert.Equal([a[2]], await StepIdsAsync(project, Filter("kind", "eq", "filter"), Filter("output.kept", "gte", 12)));
        Assert.Equal([a[0]], await StepIdsAsync(project, Filter("name", "contains", "key"), Filter("metadata.model", "eq", "gpt")));
        Assert.Equal([b[0]], await StepIdsAsync(project, Filter("name", "eq", "keywords"), Filter("metadata.model", "exists", false)));
        Assert.Equal([b[1], b[0], a[2], a[1], a[0]], await StepIdsAsync(project, Filter("durationMs", "eq", 7)));
        Assert.Equal([b[0], a[3], a[0]], await StepIdsAsync(project, Filter("stepNumber", "ne", 2), Filter("stepNumber", "ne", 3)));
        Assert.Equal([b[1], b[0]], await StepIdsAsync(project, Filter("startedAt", "gte", Start.AddMinutes(1).ToString("O"))));
        Assert.Equal([a[1]], await StepIdsAsync(project, Filter("metadata.flags.fast", "eq", true)));
        Assert.Equal([b[0]], await StepIdsAsync(project, Filter("traceId", "eq", b.TraceId), Filter("stepNumber", "lt", 2)));

        var page = await QueryAsync(project, new { filters = new[] { Filter("name", "eq", "search"), Filter("status", "eq", "ok") } });
        var item = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(a.TraceId, item.GetProperty("traceId").GetString());
        Assert.Equal(40, item.GetProperty("output").GetProperty("kept").GetInt32());
        Assert.Equal("ok", item.GetProperty("status").GetString());
        Assert.Equal(7, item.GetProperty("durationMs").GetInt32());
        Assert.Equal(JsonValueKind.Null, page.GetProperty("nextCursor").ValueKind);
    }

    [Fact]
    public async Task Steps_are_found_by_one_of_their_data_ids_and_array_paths_by_an_element()
    {
        var project = await _client.CreateProjectWithKeyAsync(await _client.RegisterAndLoginAsync());
        var trace = new TraceEvents(project.ProjectId) { Start = Start };
        var (first, second, third) = (TraceEvents.NewId(), TraceEvents.NewId(), TraceEvents.NewId());
        var steps = new[]
        {
            Step(trace, 1, "keywords", "llm", new { tags = new object[] { "x", 12 } }),
            Step(trace, 2, "search", "search", new { tags = "x" }),
            Step(trace, 3, "filter", "filter", new { tags = new object[] { new[] { "x" }, "12", true } }),
            Step(trace, 4, "rank", "rank", new { tags = Array.Empty<object>() }),
        };
        steps[0]["dataIds"] = new[] { first, second };
        steps[1]["dataIds"] = new[] { second };
        steps[3]["dataIds"] = new[] { third };
        await IngestAsync(project, [trace.TraceStart(), .. steps]);
        var ids = steps.Select(s => (string)s["stepId"]).ToList();

        Assert.Equal([ids[1], ids[0]], await StepIdsAsync(project, Filter("dataIds", "eq", second)));
        Assert.Equal([ids[0]], await StepIdsAsync(project, Filter("dataIds", "eq", first)));
        Assert.Equal([ids[3], ids[2]], await StepIdsAsync(project, Filter("dataIds", "ne", second))); // 3 has no dataIds
        Assert.Empty(await StepIdsAsync(project, Filter("dataIds", "eq", TraceEvents.NewId())));

        Assert.Equal([ids[1], ids[0]], await StepIdsAsync(project, Filter("output.tags", "eq", "x"))); // not 3's nested ["x"]
        Assert.Equal([ids[0]], await StepIdsAsync(project, Filter("output.tags", "eq", 12.0)));
        Assert.Equal([ids[2]], await StepIdsAsync(project, Filter("output.tags", "eq", "12")));
        Assert.Equal([ids[2]], await StepIdsAsync(project, Filter("output.tags", "eq", true)));
        Assert.Equal([ids[3], ids[2]], await StepIdsAsync(project, Filter("output.tags", "ne", "x")));
        Assert.Empty(await StepIdsAsync(project, Filter("output.tags", "gt", 10))); // only eq and ne look into an array
    }

    [Fact]
    public async Task All_steps_are_paged_newest_first_with_the_cursor()
    {
        var (project, a, b) = await SeedAsync();
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await QueryAsync(project, new { filters = Array.Empty<object>(), limit = 2, cursor });
            var items = page.GetProperty("items").EnumerateArray().ToList();
            Assert.InRange(items.Count, 1, 2);
            seen.AddRange(items.Select(i => i.GetProperty("stepId").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal([b[1], b[0], a[3], a[2], a[1], a[0]], seen);
    }

    [Fact]
    public async Task Injection_looking_values_match_nothing()
    {
        var (project, _, _) = await SeedAsync();
        Assert.Empty(await StepIdsAsync(project, Filter("name", "eq", "x' OR 1=1 --")));
        Assert.Empty(await StepIdsAsync(project, Filter("output.kept", "eq", "x' OR 1=1 --")));
        Assert.Empty(await StepIdsAsync(project, Filter("name", "contains", "%")));
        Assert.Empty(await StepIdsAsync(project, Filter("metadata.__proto__", "exists", true)));
        Assert.Empty(await StepIdsAsync(project, Filter("traceId", "eq", "') OR ('1'='1")));
    }

    [Fact]
    public async Task Non_members_get_404_and_other_projects_steps_never_appear()
    {
        var (project, _, _) = await SeedAsync();
        var stranger = await _client.RegisterAndLoginAsync();
        var body = new { filters = Array.Empty<object>() };
        using (var denied = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Post, $"api/v1/projects/{project.ProjectId}/query", stranger.Token, body)))
        {
            Assert.Equal(HttpStatusCode.NotFound, denied.StatusCode);
        }

        using (var anonymous = await _client.PostAsJsonAsync($"api/v1/projects/{project.ProjectId}/query", body))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        // The stranger's own project has steps too: querying it never returns the first project's.
        var own = await _client.CreateProjectWithKeyAsync(stranger);
        var trace = new TraceEvents(own.ProjectId) { Start = Start };
        await IngestAsync(own, Step(trace, 1, "keywords", "llm", new { kept = 99 }));
        var ids = await StepIdsAsync(own, Filter("name", "eq", "keywords"));
        Assert.Single(ids);
        var items = (await QueryAsync(own, new { filters = Array.Empty<object>() })).GetProperty("items").EnumerateArray();
        Assert.All(items, i => Assert.Equal(trace.TraceId, i.GetProperty("traceId").GetString()));
    }

    [Theory]
    [InlineData("input.a b", "eq", "x", "filters[1].field")]
    [InlineData("a..b", "eq", "x", "filters[1].field")]
    [InlineData("output..kept", "eq", "x", "filters[1].field")]
    [InlineData("$", "eq", "x", "filters[1].field")]
    [InlineData("$.output.kept", "eq", "x", "filters[1].field")]
    [InlineData("__proto__", "eq", "x", "filters[1].field")]
    [InlineData("output.a.b.c.d.e.f", "eq", "x", "filters[1].field")]
    [InlineData("output['kept']", "eq", "x", "filters[1].field")]
    [InlineData("nope", "eq", "x", "filters[1].field")]
    [InlineData("name", "like", "x", "filters[1].op")]
    [InlineData("name", "gt", "x", "filters[1].op")]
    [InlineData("stepNumber", "contains", "1", "filters[1].op")]
    [InlineData("stepNumber", "eq", "three", "filters[1].value")]
    [InlineData("status", "eq", "done", "filters[1].value")]
    [InlineData("name", "eq", 3, "filters[1].value")]
    [InlineData("name", "eq", null, "filters[1].value")]
    [InlineData("output.kept", "contains", 3, "filters[1].value")]
    [InlineData("output.kept", "gt", true, "filters[1].value")]
    [InlineData("startedAt", "gt", "yesterday", "filters[1].value")]
    [InlineData("startedAt", "gt", "2026-12-01 10:00:00", "filters[1].value")] // a space for the T
    [InlineData("kind", "exists", "yes", "filters[1].value")]
    public async Task Bad_filters_get_a_problem_naming_the_filter(string field, string op, object? value, string mentioned)
    {
        var project = await _client.CreateProjectWithKeyAsync(await _client.RegisterAndLoginAsync());
        var body = new { filters = new[] { Filter("name", "eq", "fine"), Filter(field, op, value) } };
        await ExpectProblemAsync(project, body, mentioned);
    }

    [Fact]
    public async Task Bad_limits_cursors_and_filter_counts_get_a_problem()
    {
        var project = await _client.CreateProjectWithKeyAsync(await _client.RegisterAndLoginAsync());
        await ExpectProblemAsync(project, new { filters = Enumerable.Range(0, 11).Select(_ => Filter("name", "eq", "x")).ToArray() }, "filters");
        await ExpectProblemAsync(project, new { limit = 0 }, "limit");
        await ExpectProblemAsync(project, new { limit = 201 }, "limit");
        await ExpectProblemAsync(project, new { cursor = "bogus" }, "cursor");
        await ExpectProblemAsync(project, new { filters = new object?[] { null } }, "filters[0]");
        await ExpectProblemAsync(project, new { filters = "name eq x" }, string.Empty); // not an array: the body does not bind
        await ExpectProblemAsync(project, new { filters = new[] { new { field = "output.kept", op = "eq", value = new { nested = 1 } } } }, "filters[0].value");
    }

    [Theory]
    [InlineData("name")]
    [InlineData("output.kept")]
    [InlineData("startedAt")]
    public async Task A_filter_value_that_is_not_valid_text_gets_a_problem(string field)
    {
        var project = await _client.CreateProjectWithKeyAsync(await _client.RegisterAndLoginAsync());
        foreach (var value in new[] { "\"\\ud800\""u8.ToArray(), [(byte)'"', 0xF4, 0x90, 0x80, 0x80, (byte)'"'] })
        {
            // A lone surrogate escape and invalid UTF-8: the body binds (the value stays raw JSON) and fails only when read.
            byte[] body = [.. Encoding.UTF8.GetBytes($"{{\"filters\":[{{\"field\":\"{field}\",\"op\":\"eq\",\"value\":"), .. value, .. "}]}"u8];
            using var request = XRayApi.Authorized(HttpMethod.Post, $"api/v1/projects/{project.ProjectId}/query", project.Owner.Token);
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await _client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
            Assert.Contains("filters[0].value", text, StringComparison.Ordinal);
        }
    }

    private async Task ExpectProblemAsync(TestProject project, object body, string mentioned)
    {
        using var response = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Post, $"api/v1/projects/{project.ProjectId}/query", project.Owner.Token, body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        Assert.StartsWith("application/problem+json", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        Assert.Contains(mentioned, text, StringComparison.Ordinal);
    }

    /// <summary>
    /// Project with trace a (keywords, search, filter, an error step) and, a minute later, trace b (keywords, filter
    /// whose <c>kept</c> is a string). Returns the step ids in step order.
    /// </summary>
    private async Task<(TestProject Project, SeededTrace A, SeededTrace B)> SeedAsync()
    {
        var project = await _client.CreateProjectWithKeyAsync(await _client.RegisterAndLoginAsync());
        var a = new TraceEvents(project.ProjectId) { Start = Start };
        var b = new TraceEvents(project.ProjectId) { Start = Start.AddMinutes(1) };
        var events = new object[]
        {
            a.TraceStart(), b.TraceStart(),
            Step(a, 1, "keywords", "llm", new { kept = 3 }, new { model = "gpt", temperature = 0.2 }),
            Step(a, 2, "search", "search", new { kept = 40 }, new { flags = new { fast = true } }),
            Step(a, 3, "filter", "filter", new { kept = 12 }, new { rule = "category" }),
            a.Error(4),
            Step(b, 1, "keywords", "llm", new { kept = 5 }),
            Step(b, 2, "filter", "filter", new { kept = "many" }, new { flags = new { fast = false } }),
        };
        await IngestAsync(project, events);
        var ids = events.Skip(2).Select(e => JsonSerializer.SerializeToElement(e, XRayApi.Json).GetProperty("stepId").GetString()!).ToList();
        return (project, new SeededTrace(a.TraceId, ids[..4]), new SeededTrace(b.TraceId, ids[4..]));
    }

    private async Task IngestAsync(TestProject project, params object[] events)
    {
        using (var ingest = await _client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey, TraceEvents.Batch(events))))
        {
            await XRayApi.EnsureAsync(ingest, HttpStatusCode.Accepted);
        }

        // One trace read waits through the read fence: everything acknowledged is then in the store.
        var traceId = JsonSerializer.SerializeToElement(events[0], XRayApi.Json).GetProperty("traceId").GetString();
        using (await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/traces/{traceId}", project.Owner.Token)))
        {
        }
    }

    private static Dictionary<string, object> Step(TraceEvents trace, int number, string name, string kind, object output, object? metadata = null)
    {
        var step = new Dictionary<string, object>
        {
            ["eventId"] = TraceEvents.NewId(),
            ["type"] = "step",
            ["traceId"] = trace.TraceId,
            ["timestamp"] = trace.Start.AddMilliseconds(number * 10),
            ["stepId"] = TraceEvents.NewId(),
            ["stepNumber"] = number,
            ["name"] = name,
            ["kind"] = kind,
            ["startedAt"] = trace.Start.AddMilliseconds(number * 10),
            ["endedAt"] = trace.Start.AddMilliseconds((number * 10) + 7),
            ["input"] = new { query = "laptop stand" },
            ["output"] = output,
        };
        if (metadata is not null)
        {
            step["metadata"] = metadata;
        }

        return step;
    }

    private static object Filter(string field, string op, object? value) => new { field, op, value };

    private async Task<List<string>> StepIdsAsync(TestProject project, params object[] filters)
    {
        var page = await QueryAsync(project, new { filters });
        return [.. page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("stepId").GetString()!)];
    }

    private async Task<JsonElement> QueryAsync(TestProject project, object body)
    {
        using var response = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Post, $"api/v1/projects/{project.ProjectId}/query", project.Owner.Token, body));
        await XRayApi.EnsureAsync(response, HttpStatusCode.OK);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>A seeded trace's id and its step ids in step order (indexable like a list).</summary>
    private sealed record SeededTrace(string TraceId, List<string> StepIds)
    {
        public string this[int index] => StepIds[index];
    }
}
