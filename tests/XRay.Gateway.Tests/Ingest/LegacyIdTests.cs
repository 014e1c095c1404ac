using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using XRay.Testing;

namespace XRay.Gateway.Tests.Ingest;

/// <summary>
/// Before the event contract became a JSON Schema, ingest took any uuid <see cref="Guid.TryParseExact(string, string, out Guid)"/>
/// reads as "D", groups spelled with <c>+</c> or <c>0x</c> among them, and acknowledged such events. Ingest now refuses
/// those forms; what was acknowledged with them must still be stored and read.
/// </summary>
public sealed class LegacyIdTests
{
    [Fact]
    public async Task A_trace_an_earlier_version_acknowledged_with_uuids_spelled_with_plus_or_0x_is_stored_and_read()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = new GatewayProcess();
        await gateway.StartAsync();
        TestProject project;
        using (var setup = gateway.CreateClient())
        {
            project = await setup.CreateProjectWithKeyAsync(await setup.RegisterAndLoginAsync());
        }

        await gateway.StopAsync();

        // The legacy trace starts last, so the first page of one trace ends with it and the cursor carries its id.
        var newer = new TraceEvents(project.ProjectId) { Start = DateTimeOffset.UtcNow.AddMinutes(-10) };
        var legacy = new TraceEvents(project.ProjectId) { TraceId = $"{project.ProjectId}-0x93a1b2-0000-7e5f-8a9b-0c1d2e3f4a05", Start = DateTimeOffset.UtcNow };
        const string stepId = "0193a1b2-0x00-7e5f-8a9b-0c1d2e3f4a03";
        const string dataId = "+193a1b2-0000-7e5f-8a9b-0c1d2e3f4a04";
        var data = new
        {
            eventId = "+193a1b2-0000-7e5f-8a9b-0c1d2e3f4a06",
            type = "data",
            traceId = legacy.TraceId,
            timestamp = legacy.Start,
            dataId,
            contentType = "application/json",
            size = 2,
        };
        await AppendAsync(gateway, legacy.TraceStart(), legacy.Step(1, stepId), legacy.Success(), data);

        await gateway.StartAsync();
        using var client = gateway.CreateClient();
        using (var accepted = await client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey, TraceEvents.Batch(newer.TraceStart(), newer.Success())), ct))
        {
            await XRayApi.EnsureAsync(accepted, HttpStatusCode.Accepted);
        }

        var trace = await StoppedGateway.WaitUntilEndedAsync(client, project, legacy.TraceId, ct);
        Assert.Equal("success", trace.GetProperty("status").GetString());
        Assert.Equal(stepId, Assert.Single(trace.GetProperty("steps").EnumerateArray()).GetProperty("stepId").GetString());

        using (var download = await client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/traces/{legacy.TraceId}/data/{dataId}", project.Owner.Token), ct))
        {
            await XRayApi.EnsureAsync(download, HttpStatusCode.OK);
            var body = await download.Content.ReadFromJsonAsync<JsonElement>(ct);
            Assert.Equal(dataId, body.GetProperty("dataId").GetString());
            Assert.False(body.GetProperty("arrived").GetBoolean());
        }

        await StoppedGateway.WaitUntilEndedAsync(client, project, newer.TraceId, ct);
        var first = await ListAsync(client, project, "limit=1", ct);
        Assert.Equal(legacy.TraceId, Assert.Single(first.GetProperty("items").EnumerateArray()).GetProperty("traceId").GetString());
        var second = await ListAsync(client, project, $"limit=1&cursor={Uri.EscapeDataString(first.GetProperty("nextCursor").GetString()!)}", ct);
        Assert.Equal(newer.TraceId, Assert.Single(second.GetProperty("items").EnumerateArray()).GetProperty("traceId").GetString());

        // New events keep to the contract: the same ids are refused at ingest.
        using var refused = await client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey, TraceEvents.Batch(legacy.Step(2))), ct);
        await XRayApi.EnsureAsync(refused, HttpStatusCode.Accepted);
        var verdict = await refused.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal(0, verdict.GetProperty("accepted").GetInt32());
    }

    /// <summary>Appends the events as JSON records, as the earlier gateway wrote them, to the stopped gateway's log.</summary>
    private static async Task AppendAsync(GatewayProcess gateway, params object[] events)
    {
        await using var log = StoppedGateway.OpenLog(gateway);
        await log.AppendAsync([.. events.Select(e => (ReadOnlyMemory<byte>)JsonSerializer.SerializeToUtf8Bytes(e))]);
    }

    private static async Task<JsonElement> ListAsync(HttpClient client, TestProject project, string query, CancellationToken ct)
    {
        using var response = await client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/projects/{project.ProjectId}/traces?{query}", project.Owner.Token), ct);
        await XRayApi.EnsureAsync(response, HttpStatusCode.OK);
        return await response.Content.ReadFromJsonAsync<JsonElement>(ct);
    }
}
