using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using XRay.Testing;

namespace XRay.Gateway.Tests.Ingest;

[Collection(GatewayCollection.Name)]
public sealed class IngestApiTests(GatewayFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task An_ingested_trace_comes_back_whole_with_steps_in_order()
    {
        var project = await NewProjectAsync();
        var trace = new TraceEvents(project.ProjectId);
        // Out of order on purpose: the success and a late step arrive before the start.
        var response = await IngestAsync(project, trace.Step(3, name: "rank"), trace.Success(), trace.TraceStart(), trace.Step(1, name: "keywords"), trace.Step(2, name: "search"));
        Assert.Equal(5, response.GetProperty("accepted").GetInt32());
        Assert.Empty(response.GetProperty("rejected").EnumerateArray());

        var body = await GetTraceAsync(project, trace.TraceId);
        Assert.Equal("competitor-search", body.GetProperty("name").GetString());
        Assert.Equal("success", body.GetProperty("status").GetString());
        Assert.Equal(3, body.GetProperty("stepCount").GetInt32());
        Assert.Equal("laptop-stand-42", body.GetProperty("metadata").GetProperty("sku").GetString());
        Assert.Equal("B01", body.GetProperty("output").GetProperty("competitor").GetString());
        var steps = body.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(["keywords", "search", "rank"], steps.Select(s => s.GetProperty("name").GetString()));
        Assert.Equal([1, 2, 3], steps.Select(s => s.GetProperty("stepNumber").GetInt32()));
        var first = steps[0];
        Assert.Equal(12, first.GetProperty("output").GetProperty("kept").GetInt32());
        Assert.Equal("Phone case", first.GetProperty("candidates")[1].GetProperty("title").GetString());
        Assert.Equal(28, first.GetProperty("filters")[0].GetProperty("removed").GetInt32());
        Assert.StartsWith("Dropped items", first.GetProperty("reasoning").GetString());
        Assert.Equal(7, first.GetProperty("durationMs").GetInt64());
    }

    [Fact]
    public async Task The_ACK_says_where_the_gateway_spent_its_time()
    {
        var project = await NewProjectAsync();
        var trace = new TraceEvents(project.ProjectId);

        using var response = await _client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey, TraceEvents.Batch(trace.TraceStart())));

        await XRayApi.EnsureAsync(response, HttpStatusCode.Accepted);
        var timing = Assert.Single(response.Headers.GetValues("Server-Timing"));
        Assert.Matches(@"^app;dur=[\d.]+, admit;dur=[\d.]+, read;dur=[\d.]+, check;dur=[\d.]+, log;dur=[\d.]+$", timing);
    }

    [Fact]
    public async Task Redelivered_events_are_applied_once()
    {
        var project = await NewProjectAsync();
        var trace = new TraceEvents(project.ProjectId);
        var events = new[] { trace.TraceStart(), trace.Step(1), trace.Step(2), trace.Failure() };
        await IngestAsync(project, events);
        await IngestAsync(project, events);
        // A step redelivered under a new event id (an SDK retry after a lost 202) is still one step.
        var stepId = TraceEvents.NewId();
        await IngestAsync(project, trace.Step(3, stepId));
        await IngestAsync(project, trace.Step(3, stepId));

        var body = await GetTraceAsync(project, trace.TraceId);
        Assert.Equal(3, body.GetProperty("stepCount").GetInt32());
        Assert.Equal(3, body.GetProperty("steps").GetArrayLength());
        Assert.Equal("failure", body.GetProperty("status").GetString());
        Assert.Equal("no competitor found", body.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task The_latest_trace_event_names_a_trace_and_its_latest_end_ends_it_whatever_order_they_arrive_in()
    {
        var project = await NewProjectAsync();
        var forward = new TraceEvents(project.ProjectId);
        var backward = new TraceEvents(project.ProjectId) { Start = forward.Start };
        object[] Events(TraceEvents t) =>
        [
            t.TraceStart("first", new { attempt = 1 }), t.Failure("gave up", at: t.Start.AddSeconds(1)),
            t.TraceStart("second", new { attempt = 2 }, at: t.Start.AddSeconds(2)), t.Success(new { competitor = "B02" }, at: t.Start.AddSeconds(3)),
        ];

        // Each event in a request of its own, so each is its own store write: in time order for one trace, reversed for the other.
        foreach (var e in Events(forward))
        {
            await IngestAsync(project, e);
        }

        foreach (var e in Events(backward).Reverse())
        {
            await IngestAsync(project, e);
        }

        foreach (var trace in (TraceEvents[])[forward, backward])
        {
            var body = await GetTraceAsync(project, trace.TraceId);
            Assert.Equal("second", body.GetProperty("name").GetString());
            Assert.Equal(2, body.GetProperty("metadata").GetProperty("attempt").GetInt32());
            Assert.Equal("success", body.GetProperty("status").GetString());
            Assert.Equal("B02", body.GetProperty("output").GetProperty("competitor").GetString());
            Assert.Equal(JsonValueKind.Null, body.TryGetProperty("error", out var error) ? error.ValueKind : JsonValueKind.Null);
        }
    }

    [Fact]
    public async Task Error_steps_are_kept_with_their_error()
    {
        var project = await NewProjectAsync();
        var trace = new TraceEvents(project.ProjectId);
        await IngestAsync(project, trace.TraceStart(), trace.Error(1, "search timed out"));
        var step = Assert.Single((await GetTraceAsync(project, trace.TraceId)).GetProperty("steps").EnumerateArray());
        Assert.Equal("error", step.GetProperty("status").GetString());
        Assert.Equal("search timed out", step.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Invalid_events_are_rejected_one_by_one_and_the_valid_ones_kept()
    {
        var project = await NewProjectAsync();
        var other = await NewProjectAsync();
        var trace = new TraceEvents(project.ProjectId);
        var foreign = new TraceEvents(other.ProjectId);
        var good = trace.Step(1);
        object[] batch =
        [
            trace.TraceStart(),
            new { eventId = TraceEvents.NewId(), type = "teleport", traceId = trace.TraceId, timestamp = DateTimeOffset.UtcNow },
            foreign.TraceStart(),
            new { eventId = TraceEvents.NewId(), type = "step", traceId = trace.TraceId, timestamp = DateTimeOffset.UtcNow, stepId = TraceEvents.NewId(), stepNumber = "two", name = "x" },
            new { eventId = TraceEvents.NewId(), type = "step", traceId = trace.TraceId, timestamp = DateTimeOffset.UtcNow, stepId = TraceEvents.NewId(), stepNumber = 2, name = new string('n', 201) },
            new { eventId = TraceEvents.NewId(), type = "trace", traceId = "not-a-trace-id", timestamp = DateTimeOffset.UtcNow, name = "x" },
            new { eventId = "42", type = "success", traceId = trace.TraceId, timestamp = DateTimeOffset.UtcNow },
            new { eventId = TraceEvents.NewId(), type = "success", traceId = trace.TraceId, timestamp = "yesterday" },
            new { eventId = TraceEvents.NewId(), type = "step", traceId = trace.TraceId, timestamp = DateTimeOffset.UtcNow, stepId = TraceEvents.NewId(), stepNumber = 3, name = "big", input = new string('x', 300 * 1024) },
            new { eventId = TraceEvents.NewId(), type = "data", traceId = trace.TraceId, timestamp = DateTimeOffset.UtcNow, dataId = TraceEvents.NewId(), contentType = "application/json", size = 1 },
            "not an object",
            good,
        ];
        var response = await IngestAsync(project, batch);

        Assert.Equal(2, response.GetProperty("accepted").GetInt32());
        var rejected = response.GetProperty("rejected").EnumerateArray().ToDictionary(r => r.GetProperty("index").GetInt32(), r => r.GetProperty("reason").GetString()!);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], rejected.Keys.Order());
        Assert.Contains("type", rejected[1]);
        Assert.Contains("another project", rejected[2]);
        Assert.Contains("stepNumber", rejected[3]);
        Assert.Contains("name", rejected[4]);
        Assert.Contains("traceId", rejected[5]);
        Assert.Contains("eventId", rejected[6]);
        Assert.Contains("timestamp", rejected[7]);
        Assert.Contains("limit", rejected[8]);
        Assert.Contains("presign", rejected[9]);

        var body = await GetTraceAsync(project, trace.TraceId);
        Assert.Single(body.GetProperty("steps").EnumerateArray());
        using var foreignTrace = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/traces/{foreign.TraceId}", other.Owner.Token));
        Assert.Equal(HttpStatusCode.NotFound, foreignTrace.StatusCode);
    }

    [Fact]
    public async Task A_lone_surrogate_anywhere_in_an_event_is_rejected_and_the_server_keeps_working()
    {
        var project = await NewProjectAsync();
        var trace = new TraceEvents(project.ProjectId);
        var good = JsonSerializer.Serialize(trace.Step(1), XRayApi.Json);
        string Poisoned(string field, string value) =>
            $"{{\"eventId\":\"{TraceEvents.NewId()}\",\"type\":\"step\",\"traceId\":\"{trace.TraceId}\",\"timestamp\":\"2026-11-25T10:00:00Z\",\"stepId\":\"{TraceEvents.NewId()}\",\"stepNumber\":2,\"name\":\"s\",\"{field}\":{value}}}";
        var body = $"{{\"events\":[{Poisoned("input", "{\"q\":\"\\ud800\"}")},{Poisoned("reasoning", "\"\\udc00\"")},{Poisoned("kind", "\"\\ud800\"")},{good}]}}";
        using var request = XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey);
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, result.GetProperty("accepted").GetInt32());
        Assert.All(result.GetProperty("rejected").EnumerateArray(), r => Assert.Contains("UTF-16", r.GetProperty("reason").GetString()));

        // The consumer is still alive: the good step is applied and later batches too.
        await IngestAsync(project, trace.Step(3));
        Assert.Equal(2, (await GetTraceAsync(project, trace.TraceId)).GetProperty("steps").GetArrayLength());
    }

    [Fact]
    public async Task Invalid_UTF8_in_an_event_id_is_a_rejection_not_a_server_error()
    {
        var project = await NewProjectAsync();
        var trace = new TraceEvents(project.ProjectId);
        var good = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(trace.Step(1), XRayApi.Json));
        // The reader checks a string's UTF-8 only when it is read: the id of the rejected event is read last of all.
        byte[] body = [.. "{\"events\":[{\"eventId\":\"01a2"u8, 0xF4, 0x90, 0x80, 0x80, .. "\",\"type\":\"success\",\"traceId\":\""u8,
            .. Encoding.UTF8.GetBytes(trace.TraceId), .. "\",\"timestamp\":\"2026-11-25T10:00:00Z\"},"u8, .. good, .. "]}"u8];
        using var request = XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await _client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
        var result = JsonDocument.Parse(text).RootElement;
        Assert.Equal(1, result.GetProperty("accepted").GetInt32());
        var rejected = Assert.Single(result.GetProperty("rejected").EnumerateArray());
        Assert.Equal(0, rejected.GetProperty("index").GetInt32());
        Assert.Contains("UTF-8", rejected.GetProperty("reason").GetString());
        Assert.Single((await GetTraceAsync(project, trace.TraceId)).GetProperty("steps").EnumerateArray());
    }

    [Fact]
    public async Task A_lone_surrogate_in_a_property_name_is_a_rejection_or_a_bad_request_not_a_server_error()
    {
        var project = await NewProjectAsync();
        var trace = new TraceEvents(project.ProjectId);
        var good = JsonSerializer.Serialize(trace.Step(1), XRayApi.Json);
        // Looking up a shorter name compares it with each escaped longer one unescaped, which fails on a lone surrogate.
        var inEvent = await PostRawAsync(project, $"{{\"events\":[{{\"\\ud800abcdefgh\":1}},{good}]}}");
        Assert.True(inEvent.StatusCode == HttpStatusCode.Accepted, inEvent.Text);
        var result = JsonDocument.Parse(inEvent.Text).RootElement;
        Assert.Equal(1, result.GetProperty("accepted").GetInt32());
        Assert.Equal(0, Assert.Single(result.GetProperty("rejected").EnumerateArray()).GetProperty("index").GetInt32());

        var inEnvelope = await PostRawAsync(project, $"{{\"\\ud800xxxxxxxxxxxxx\":0,\"events\":[{good}]}}");
        Assert.True(inEnvelope.StatusCode == HttpStatusCode.BadRequest, inEnvelope.Text);
        Assert.Contains("surrogate", inEnvelope.Text);
    }

    [Fact]
    public async Task A_deeply_nested_payload_does_not_take_the_batchs_good_events_down_with_it()
    {
        // Valid JSON and valid by the batch schema (a step's input is any JSON): 70 levels is what a .NET SDK writes for a
        // payload its serializer (MaxDepth 64) still takes, inside an event inside the batch.
        var project = await NewProjectAsync();
        var trace = new TraceEvents(project.ProjectId);
        var good = JsonSerializer.Serialize(trace.Step(1), XRayApi.Json);
        var deep = new string('[', 70) + "1" + new string(']', 70);
        var nested = $"{{\"eventId\":\"{TraceEvents.NewId()}\",\"type\":\"step\",\"traceId\":\"{trace.TraceId}\",\"timestamp\":\"2026-11-25T10:00:00Z\",\"stepId\":\"{TraceEvents.NewId()}\",\"stepNumber\":2,\"name\":\"s\",\"input\":{deep}}}";
        var (status, text) = await PostRawAsync(project, $"{{\"events\":[{good},{nested}]}}");
        Assert.True(status == HttpStatusCode.Accepted, text);
        var result = JsonDocument.Parse(text).RootElement;
        var rejected = result.GetProperty("rejected").EnumerateArray().ToList();
        Assert.Equal(2, result.GetProperty("accepted").GetInt32() + rejected.Count);
        Assert.All(rejected, r => Assert.Equal(1, r.GetProperty("index").GetInt32()));
        Assert.NotEmpty((await GetTraceAsync(project, trace.TraceId)).GetProperty("steps").EnumerateArray());
    }

    private async Task<(HttpStatusCode StatusCode, string Text)> PostRawAsync(TestProject project, string body)
    {
        using var request = XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey);
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public static TheoryData<string, string> BadBatches => new()
    {
        { "{\"events\": [", "JSON" },
        { "[]", "object" },
        { "{}", "events" },
        { "{\"events\": {}}", "events" },
        { "{\"events\": []}", "at least one" },
        { "{\"schemaVersion\": 2, \"events\": [{}]}", "schemaVersion" },
        { "", "JSON" },
    };

    [Theory]
    [MemberData(nameof(BadBatches))]
    public async Task A_body_that_is_not_a_batch_is_a_bad_request(string body, string mentioned)
    {
        var project = await NewProjectAsync();
        using var request = XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey);
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(mentioned, text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Too_many_events_or_too_large_a_body_is_refused()
    {
        var project = await NewProjectAsync();
        var trace = new TraceEvents(project.ProjectId);
        using var many = XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey, TraceEvents.Batch([.. Enumerable.Range(1, 1001).Select(i => trace.Step(i))]));
        using var manyResponse = await _client.SendAsync(many);
        Assert.Equal(HttpStatusCode.BadRequest, manyResponse.StatusCode);
        Assert.Contains("1000", await manyResponse.Content.ReadAsStringAsync());

        using var huge = XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey);
        huge.Content = new StringContent("{\"events\":[\"" + new string('x', 6 * 1024 * 1024) + "\"]}", Encoding.UTF8, "application/json");
        huge.Headers.ExpectContinue = true;
        using var hugeResponse = await _client.SendAsync(huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, hugeResponse.StatusCode);
        Assert.Contains("limit", await hugeResponse.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_batch_with_too_many_events_is_a_typed_problem_that_says_the_limit_so_a_client_can_split_it()
    {
        var project = await NewProjectAsync();
        var trace = new TraceEvents(project.ProjectId);
        using var many = XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey, TraceEvents.Batch([.. Enumerable.Range(1, 1001).Select(i => trace.Step(i))]));
        using var manyResponse = await _client.SendAsync(many);
        Assert.Equal(HttpStatusCode.BadRequest, manyResponse.StatusCode);
        Assert.Equal("application/problem+json", manyResponse.Content.Headers.ContentType?.MediaType);
        var tooMany = await manyResponse.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("https://xray.local/problems/too-many-events", tooMany.GetProperty("type").GetString());
        Assert.Equal(1000, tooMany.GetProperty("maxEventsPerBatch").GetInt32());
        Assert.Equal(400, tooMany.GetProperty("status").GetInt32());
        Assert.Equal("events holds 1001 events; the limit is 1000 per batch.", tooMany.GetProperty("detail").GetString());

        // Any other refusal of the batch keeps the status's default type and carries no limit: a client must not split it.
        using var wrong = XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey, new { schemaVersion = 2, events = new[] { trace.Step(1) } });
        using var wrongResponse = await _client.SendAsync(wrong);
        Assert.Equal(HttpStatusCode.BadRequest, wrongResponse.StatusCode);
        var invalid = await wrongResponse.Content.ReadFromJsonAsync<JsonElement>();
        Assert.NotEqual("https://xray.local/problems/too-many-events", invalid.GetProperty("type").GetString());
        Assert.False(invalid.TryGetProperty("maxEventsPerBatch", out _));
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413_problem_that_says_the_limit_so_a_client_can_split_it()
    {
        var project = await NewProjectAsync();
        using var huge = XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey);
        huge.Content = new StringContent("{\"events\":[\"" + new string('x', 5 * 1024 * 1024) + "\"]}", Encoding.UTF8, "application/json");
        huge.Headers.ExpectContinue = true;
        using var hugeResponse = await _client.SendAsync(huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, hugeResponse.StatusCode);
        Assert.Equal("application/problem+json", hugeResponse.Content.Headers.ContentType?.MediaType);
        var tooLarge = await hugeResponse.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(5 * 1024 * 1024, tooLarge.GetProperty("maxBodyBytes").GetInt64());
        Assert.Equal($"The request body exceeds the limit of {5 * 1024 * 1024} bytes for this endpoint.", tooLarge.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Missing_unknown_and_revoked_keys_cannot_ingest()
    {
        var project = await NewProjectAsync();
        var trace = new TraceEvents(project.ProjectId);
        using (var noKey = await _client.PostAsJsonAsync("api/v1/ingest", TraceEvents.Batch(trace.TraceStart())))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        }

        using (var revoke = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Delete, $"api/v1/projects/{project.ProjectId}/keys/{project.KeyId}", project.Owner.Token)))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        using var revoked = await _client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey, TraceEvents.Batch(trace.TraceStart())));
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        Assert.Contains("revoked", await revoked.Content.ReadAsStringAsync());
    }

    private async Task<TestProject> NewProjectAsync() => await _client.CreateProjectWithKeyAsync(await _client.RegisterAndLoginAsync());

    private async Task<JsonElement> IngestAsync(TestProject project, params object[] events)
    {
        using var response = await _client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey, TraceEvents.Batch(events)));
        await XRayApi.EnsureAsync(response, HttpStatusCode.Accepted);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<JsonElement> GetTraceAsync(TestProject project, string traceId)
    {
        using var response = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/traces/{traceId}", project.Owner.Token));
        await XRayApi.EnsureAsync(response, HttpStatusCode.OK);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
