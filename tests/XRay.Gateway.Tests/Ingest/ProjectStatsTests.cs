using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using XRay.Testing;

namespace XRay.Gateway.Tests.Ingest;

[Collection(GatewayCollection.Name)]
public sealed class ProjectStatsTests(GatewayFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stats_count_a_projects_traces_by_status_steps_data_and_live_events()
    {
        var project = await _client.CreateProjectWithKeyAsync(await _client.RegisterAndLoginAsync());
        var other = await _client.CreateProjectWithKeyAsync(project.Owner, "other project");
        var succeeded = new TraceEvents(project.ProjectId);
        var failed = new TraceEvents(project.ProjectId);
        var running = new TraceEvents(project.ProjectId);
        object[] events =
        [
            succeeded.TraceStart(), succeeded.Step(1), succeeded.Step(2), succeeded.Success(),
            failed.TraceStart(), failed.Step(1), failed.Failure(),
            running.TraceStart(), running.Error(1),
        ];
        using (var ingest = await _client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey, TraceEvents.Batch(events)), Ct))
        {
            await XRayApi.EnsureAsync(ingest, HttpStatusCode.Accepted);
        }

        using (var presign = await _client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/presign", project.ApiKey,
            new { traceId = succeeded.TraceId, dataId = TraceEvents.NewId(), contentType = "application/json", size = 2 }), Ct))
        {
            await XRayApi.EnsureAsync(presign, HttpStatusCode.OK);
        }

        // No read fence here: the totals catch up with the consumer within moments (and are at most a second old).
        var stats = await WaitForAsync(project, s =>
            Counts(s) == (3, 1, 1, 1, 4, 1) && s.GetProperty("live").GetProperty("eventsLastMinute").GetInt64() >= events.Length + 1);

        Assert.Equal(project.ProjectId, stats.GetProperty("projectId").GetString());
        var live = stats.GetProperty("live");
        Assert.True(live.GetProperty("stepsLastMinute").GetInt64() >= 4);
        Assert.True(live.GetProperty("eventsPerSecond").GetDouble() > 0);
        Assert.True(live.GetProperty("lastEventAt").GetDateTime() >= succeeded.Start.UtcDateTime.AddSeconds(1).AddMilliseconds(-1));
        Assert.EndsWith("Z", live.GetProperty("observingSince").GetString(), StringComparison.Ordinal);
        Assert.True(live.GetProperty("observingSince").GetDateTime() <= DateTime.UtcNow.AddSeconds(5));

        var empty = await GetStatsAsync(other);
        Assert.Equal((0L, 0L, 0L, 0L, 0L, 0L), Counts(empty));
        Assert.Equal(0, empty.GetProperty("live").GetProperty("eventsLastMinute").GetInt64());
        Assert.Equal(JsonValueKind.Null, empty.GetProperty("live").GetProperty("lastEventAt").ValueKind);
    }

    [Fact]
    public async Task Only_members_get_a_projects_stats()
    {
        var project = await _client.CreateProjectWithKeyAsync(await _client.RegisterAndLoginAsync());
        var stranger = await _client.RegisterAndLoginAsync();

        using var foreign = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/projects/{project.ProjectId}/stats", stranger.Token), Ct);
        using var traces = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/projects/{project.ProjectId}/traces", stranger.Token), Ct);
        using var anonymous = await _client.GetAsync($"api/v1/projects/{project.ProjectId}/stats", Ct);
        using var malformed = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, "api/v1/projects/nope/stats", project.Owner.Token), Ct);

        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(traces.StatusCode, foreign.StatusCode);
        Assert.Equal("application/problem+json", foreign.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, malformed.StatusCode); // as on every project route: an id that names no project of yours
        Assert.Contains("nope", await malformed.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    private static (long, long, long, long, long, long) Counts(JsonElement stats)
    {
        var traces = stats.GetProperty("traces");
        return (traces.GetProperty("total").GetInt64(), traces.GetProperty("running").GetInt64(), traces.GetProperty("success").GetInt64(),
            traces.GetProperty("failure").GetInt64(), stats.GetProperty("steps").GetInt64(), stats.GetProperty("data").GetInt64());
    }

    private Task<JsonElement> WaitForAsync(TestProject project, Func<JsonElement, bool> reached) =>
        Poll.UntilAsync(() => GetStatsAsync(project), reached, TimeSpan.FromSeconds(30), "the stats to reach the expected values", TimeSpan.FromMilliseconds(200), Ct);

    private async Task<JsonElement> GetStatsAsync(TestProject project)
    {
        using var response = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/projects/{project.ProjectId}/stats", project.Owner.Token), Ct);
        await XRayApi.EnsureAsync(response, HttpStatusCode.OK);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }
}
