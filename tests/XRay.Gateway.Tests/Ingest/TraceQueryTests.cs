using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using XRay.Testing;

namespace XRay.Gateway.Tests.Ingest;

[Collection(GatewayCollection.Name)]
public sealed class TraceQueryTests(GatewayFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task Traces_are_listed_newest_first_page_by_page_with_filters()
    {
        var project = await _client.CreateProjectWithKeyAsync(await _client.RegisterAndLoginAsync());
        var start = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
        var traces = Enumerable.Range(0, 7).Select(i => new TraceEvents(project.ProjectId) { Start = start.AddMinutes(i) }).ToList();
        var events = traces.SelectMany((t, i) => new[] { t.TraceStart(i % 2 == 0 ? "even" : "odd"), i < 3 ? t.Success() : t.Failure() }).ToArray();
        using (var ingest = await _client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey, TraceEvents.Batch(events))))
        {
            await XRayApi.EnsureAsync(ingest, HttpStatusCode.Accepted);
        }

        // Wait through one trace read: the read fence guarantees everything acknowledged is applied.
        using (await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/traces/{traces[0].TraceId}", project.Owner.Token)))
        {
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await ListAsync(project, $"limit=3{(cursor is null ? string.Empty : "&cursor=" + cursor)}");
            var items = page.GetProperty("items").EnumerateArray().ToList();
            Assert.InRange(items.Count, 1, 3);
            seen.AddRange(items.Select(i => i.GetProperty("traceId").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        Assert.Equal(traces.Select(t => t.TraceId).Reverse(), seen);

        var failures = await ListAsync(project, "status=failure");
        Assert.Equal(4, failures.GetProperty("items").GetArrayLength());
        var evenSuccess = await ListAsync(project, "status=success&name=even");
        Assert.Equal([traces[2].TraceId, traces[0].TraceId], evenSuccess.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("traceId").GetString()));
        var window = await ListAsync(project, $"from={Uri.EscapeDataString(start.AddMinutes(2).ToString("O"))}&to={Uri.EscapeDataString(start.AddMinutes(4).ToString("O"))}");
        Assert.Equal([traces[3].TraceId, traces[2].TraceId], window.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("traceId").GetString()));
    }

    [Theory]
    [InlineData("status=done", "status")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1000", "limit")]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=2026-12-01", "from")] // a date alone is not an RFC 3339 date-time
    [InlineData("from=2026-12-01T10%3A00%3A00.12345678901234567Z", "from")] // more fraction digits than an event's time may have
    [InlineData("to=12%2F01%2F2026%2010%3A00", "to")] // a culture's format
    [InlineData("from=2026-12-01T10%3A00%3A00%2B01%3A00&to=2026-12-01T08%3A59%3A59Z", "to")] // to before from
    [InlineData("cursor=bogus", "cursor")]
    [InlineData("limit=abc", "limit")]
    public async Task Bad_list_parameters_get_a_problem(string query, string mentioned)
    {
        var project = await _client.CreateProjectWithKeyAsync(await _client.RegisterAndLoginAsync());
        using var response = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/projects/{project.ProjectId}/traces?{query}", project.Owner.Token));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        Assert.Contains(mentioned, text, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("from=2026-12-01T10:00:00+01:00", "from", true)] // the '+' reaches the server as a space
    [InlineData("to=2026-12-01T10:00:00.250+05:30", "to", true)]
    [InlineData("from=2026-12-01T10:00:00Z&to=2026-12-02T10:00:00+01:00", "to", true)]
    [InlineData("from=2026-12-01T10:00:00%2001:00", "from", true)] // the same space, sent encoded
    [InlineData("from=next+week", "from", false)] // a space, but no '+' would make it a date-time
    [InlineData("from=2026-12-01+10:00:00Z", "from", false)] // nor does a '+' for the 'T'
    public async Task A_time_whose_plus_offset_arrived_as_a_space_gets_a_problem_that_says_to_encode_it(string query, string field, bool saysEncode)
    {
        var project = await _client.CreateProjectWithKeyAsync(await _client.RegisterAndLoginAsync());
        using var response = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/projects/{project.ProjectId}/traces?{query}", project.Owner.Token));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        var problem = JsonSerializer.Deserialize<JsonElement>(text);
        var message = Assert.Single(problem.GetProperty("errors").GetProperty(field).EnumerateArray()).GetString()!;
        Assert.Equal(saysEncode, message.Contains("%2B", StringComparison.Ordinal));
        Assert.Contains(message, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Non_members_cannot_read_a_projects_traces()
    {
        var project = await _client.CreateProjectWithKeyAsync(await _client.RegisterAndLoginAsync());
        var stranger = await _client.RegisterAndLoginAsync();
        var trace = new TraceEvents(project.ProjectId);
        using (var ingest = await _client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey, TraceEvents.Batch(trace.TraceStart()))))
        {
            await XRayApi.EnsureAsync(ingest, HttpStatusCode.Accepted);
        }

        using var list = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/projects/{project.ProjectId}/traces", stranger.Token));
        using var get = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/traces/{trace.TraceId}", stranger.Token));
        using var anonymous = await _client.GetAsync($"api/v1/traces/{trace.TraceId}");
        using var malformed = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, "api/v1/traces/nope", stranger.Token));
        Assert.Equal(HttpStatusCode.NotFound, list.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, malformed.StatusCode);
    }

    private async Task<JsonElement> ListAsync(TestProject project, string query)
    {
        using var response = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/projects/{project.ProjectId}/traces?{query}", project.Owner.Token));
        await XRayApi.EnsureAsync(response, HttpStatusCode.OK);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
