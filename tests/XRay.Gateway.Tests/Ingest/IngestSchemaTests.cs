using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using XRay.Testing;

namespace XRay.Gateway.Tests.Ingest;

/// <summary>
/// The event contract's JSON Schema (<c>docs/schema/ingest-batch.v1.json</c>) against the real gateway: it is served as
/// written (with the server's batch limit), and for events of every type, valid and mutated, the schema and the
/// gateway's per-event checks agree on which are accepted.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class IngestSchemaTests(GatewayFixture fixture)
{
    [Fact]
    public async Task The_schema_is_served_as_written_with_the_servers_batch_limit()
    {
        using var response = await fixture.Client.GetAsync("api/v1/ingest/schema", TestContext.Current.CancellationToken);

        await XRayApi.EnsureAsync(response, HttpStatusCode.OK);
        Assert.Equal("application/schema+json", response.Content.Headers.ContentType?.MediaType);
        var served = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        var written = JsonNode.Parse(await File.ReadAllTextAsync(IngestSchema.Path, TestContext.Current.CancellationToken))!;
        Assert.Equal(1000, served["properties"]!["events"]!["maxItems"]!.GetValue<int>());
        Assert.True(JsonNode.DeepEquals(written, served));

        // Cacheable: the same ETag answers 304 without a body.
        Assert.True(response.Headers.CacheControl?.Public);
        var tag = response.Headers.ETag!.Tag;
        foreach (var ifNoneMatch in (string[])[tag, $"W/{tag}", $"\"other\", {tag}", "*"])
        {
            using var again = new HttpRequestMessage(HttpMethod.Get, "api/v1/ingest/schema");
            again.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
            using var notModified = await fixture.Client.SendAsync(again, TestContext.Current.CancellationToken);
            Assert.True(notModified.StatusCode == HttpStatusCode.NotModified, ifNoneMatch);
            Assert.Empty(await notModified.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        }

        using var changed = new HttpRequestMessage(HttpMethod.Get, "api/v1/ingest/schema");
        changed.Headers.TryAddWithoutValidation("If-None-Match", "\"other\"");
        using var full = await fixture.Client.SendAsync(changed, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
    }

    [Fact]
    public async Task A_server_with_another_batch_limit_serves_it_in_the_schema_and_holds_to_it()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = new GatewayProcess(settings: new Dictionary<string, string> { ["Ingest:MaxEventsPerBatch"] = "7" });
        await gateway.StartAsync();
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("api/v1/ingest/schema", ct);
        await XRayApi.EnsureAsync(response, HttpStatusCode.OK);
        var served = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
        Assert.Equal(7, served["properties"]!["events"]!["maxItems"]!.GetValue<int>());
        var written = JsonNode.Parse(await File.ReadAllTextAsync(IngestSchema.Path, ct))!;
        written["properties"]!["events"]!["maxItems"] = 7;
        Assert.True(JsonNode.DeepEquals(written, served), "only maxItems differs from the schema as written");

        var project = await client.CreateProjectWithKeyAsync(await client.RegisterAndLoginAsync());
        var trace = new TraceEvents(project.ProjectId);
        using (var seven = await client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey,
            TraceEvents.Batch([trace.TraceStart(), .. Enumerable.Range(1, 6).Select(n => trace.Step(n))])), ct))
        {
            await XRayApi.EnsureAsync(seven, HttpStatusCode.Accepted);
        }

        using var eight = await client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey,
            TraceEvents.Batch([trace.TraceStart(), .. Enumerable.Range(1, 7).Select(n => trace.Step(n))])), ct);
        Assert.Equal(HttpStatusCode.BadRequest, eight.StatusCode);
        var problem = await eight.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal("events holds 8 events; the limit is 7 per batch.", problem.GetProperty("detail").GetString());
        Assert.Equal(7, problem.GetProperty("maxEventsPerBatch").GetInt32());
    }

    [Fact]
    public async Task The_schema_and_the_gateway_agree_on_every_event()
    {
        var client = fixture.Client;
        var project = await client.CreateProjectWithKeyAsync(await client.RegisterAndLoginAsync());

        // Every event type with each property (its own, another type's, an unknown one) removed or set to each odd value,
        // boundary values included; then random pairs of such changes.
        var events = new List<JsonObject>();
        var types = ValidEvents(project).Length;
        for (var type = 0; type < types; type++)
        {
            events.Add(ValidEvents(project)[type]);
            foreach (var name in Names)
            {
                var removed = ValidEvents(project)[type];
                removed.Remove(name);
                events.Add(removed);
                foreach (var value in Values)
                {
                    var changed = ValidEvents(project)[type];
                    changed[name] = value?.DeepClone();
                    events.Add(changed);
                }
            }
        }

        var random = new Random(JsonMutations.Seed);
        for (var i = 0; i < JsonMutations.Cases(400); i++)
        {
            var valid = ValidEvents(project);
            var e = valid[random.Next(valid.Length)];
            for (var m = 0; m < 2; m++)
            {
                e[Names[random.Next(Names.Length)]] = Values[random.Next(Values.Length)]?.DeepClone();
            }

            events.Add(e);
        }

        var disagreements = new List<string>();
        var verdicts = new Dictionary<bool, int>();
        var beyondTheSchema = new Dictionary<string, int>();
        foreach (var chunk in events.Chunk(500))
        {
            var batch = new JsonObject { ["events"] = new JsonArray([.. chunk.Select(e => e.DeepClone())]) };
            using var response = await SendAsync(client, project, batch);
            await XRayApi.EnsureAsync(response, HttpStatusCode.Accepted);
            var ack = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
            var rejected = ack.GetProperty("rejected").EnumerateArray().ToDictionary(r => r.GetProperty("index").GetInt32(), r => r.GetProperty("reason").GetString());
            for (var i = 0; i < chunk.Length; i++)
            {
                var schemaProblems = IngestSchema.EventProblems(JsonSerializer.SerializeToElement(chunk[i]));
                var accepted = !rejected.TryGetValue(i, out var reason);
                verdicts[accepted] = verdicts.GetValueOrDefault(accepted) + 1;
                if (!accepted && schemaProblems is null && Array.IndexOf(OnlyTheGatewayChecks, reason) >= 0)
                {
                    beyondTheSchema[reason!] = beyondTheSchema.GetValueOrDefault(reason!) + 1;
                }
                else if (accepted != (schemaProblems is null))
                {
                    disagreements.Add($"{chunk[i].ToJsonString()}\n  gateway: {(accepted ? "accepted" : reason)}\n  schema: {schemaProblems ?? "valid"}");
                }
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{events.Count} events: {verdicts.GetValueOrDefault(true)} accepted, {verdicts.GetValueOrDefault(false)} rejected");
        // The rules the schema's description names as beyond it were met, and refused by the gateway alone.
        Assert.Equal(OnlyTheGatewayChecks.Order(), beyondTheSchema.Keys.Order());
        Assert.True(disagreements.Count == 0, $"{disagreements.Count} disagreements\n{string.Join("\n", disagreements.Take(10))}");
        Assert.True(verdicts.GetValueOrDefault(true) > events.Count / 4 && verdicts.GetValueOrDefault(false) > events.Count / 4, "too one-sided to compare");
    }

    /// <summary>Reasons for rules JSON Schema cannot state (a trace id of another project, an end before the start).</summary>
    private static readonly string[] OnlyTheGatewayChecks =
    [
        "traceId belongs to another project than the API key.",
        "endedAt must not be before startedAt.",
    ];

    private static readonly string[] Names =
    [
        "eventId", "type", "traceId", "timestamp", "name", "metadata", "stepId", "stepNumber", "kind", "startedAt", "endedAt",
        "input", "output", "candidates", "filters", "reasoning", "dataIds", "error", "unknownField",
    ];

    /// <summary>
    /// Values of every JSON type, sizes at and past each limit, and near-misses of each format. Lone surrogates and deep
    /// nesting are left out: only the gateway can refuse those (the schema says so in its description). So is
    /// 1.0000000000000001: JsonSchema.Net 8 rounds it to a double and calls it an integer; the gateway does not.
    /// </summary>
    private static readonly JsonNode?[] Values =
    [
        null, true, false, 0, -1, 1, JsonNode.Parse("1.0"), JsonNode.Parse("1e0"), JsonNode.Parse("0.99999999999999999"), 1.5,
        2147483647, 2147483648L, 1e308, JsonNode.Parse("123456789012345678901234567890"),
        "", " ", "\u0000", "null", "trace", "step", "error", "success", "failure", "data",
        new string('x', 100), new string('x', 101), new string('x', 200), new string('x', 201), "😀 ünïcödé",
        string.Concat(Enumerable.Repeat("😀", 100)), string.Concat(Enumerable.Repeat("😀", 101)), string.Concat(Enumerable.Repeat("😀", 200)), string.Concat(Enumerable.Repeat("😀", 201)),
        "01990000-0000-7000-8000-000000000000", "01990000-0000-7000-8000-00000000000", "01990000-0000-7000-8000-00000000000G",
        "0123456789abcdef01234567-01990000-0000-7000-8000-000000000000",
        "2026-11-25T09:30:00Z", "2026-11-25T09:30:00.123+01:00", "2026-11-25", "2026-11-25 09:30:00Z", "2026-13-45T99:99:99Z",
        "2026-11-25T09:30:00Z\n", "2016-12-31T23:59:60Z", "2026-11-25T09:30:00+14:00", "2026-11-25T09:30:00+14:01", "2026-11-25T09:30:00.12345678901234567Z",
        "01990000-0000-7000-8000-000000000000\n", "+1990000-0000-7000-8000-000000000000", "0x990000-0x00-7000-8000-000000000000",
        new JsonArray(), new JsonObject(), new JsonArray(1, "two", null), JsonNode.Parse("{\"a\":{\"b\":[1,{\"c\":null}]}}"),
        new JsonArray("01990000-0000-7000-8000-000000000000"),
        new JsonArray([.. Enumerable.Range(0, 100).Select(_ => (JsonNode?)"01990000-0000-7000-8000-000000000000")]),
        new JsonArray([.. Enumerable.Range(0, 101).Select(_ => (JsonNode?)"01990000-0000-7000-8000-000000000000")]),
        new JsonObject { ["message"] = "boom" }, new JsonObject { ["message"] = 1 }, new JsonObject { ["type"] = "E", ["message"] = "m", ["stack"] = "s" },
    ];

    /// <summary>Sends the batch, again after the server's <c>Retry-After</c> when it sheds load (other tests share the gateway).</summary>
    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, TestProject project, JsonObject batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            var response = await client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey, batch), TestContext.Current.CancellationToken);
            if (response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable) || attempt == 10)
            {
                return response;
            }

            var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
            response.Dispose();
            await Task.Delay(wait, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>One event of every type the SDK sends, as JSON objects (fresh ids each call).</summary>
    private static JsonObject[] ValidEvents(TestProject project)
    {
        var trace = new TraceEvents(project.ProjectId);
        object[] events = [trace.TraceStart(), trace.Step(1), trace.Error(2), trace.Success(), trace.Failure()];
        return [.. events.Select(e => JsonSerializer.SerializeToNode(e, XRayApi.Json)!.AsObject())];
    }
}
