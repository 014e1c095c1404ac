using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using XRay.Testing;

namespace XRay.Gateway.Tests.Ingest;

public sealed class RecordLimitTests
{
    [Fact]
    public async Task An_event_too_large_for_the_log_once_rendered_is_rejected_on_its_own_and_the_rest_is_kept()
    {
        // Within Ingest:MaxEventBytes, but an error step carries its error twice once rendered: over the log's limit.
        await using var gateway = new GatewayProcess(settings: new Dictionary<string, string>
        {
            ["Ingest:Log:MaxRecordBytes"] = "16384",
            ["Ingest:MaxEventBytes"] = "12288",
        });
        await gateway.StartAsync();
        using var client = gateway.CreateClient();
        var project = await client.CreateProjectWithKeyAsync(await client.RegisterAndLoginAsync());
        var trace = new TraceEvents(project.ProjectId);
        var large = trace.Error(2, message: new string('x', 9000));

        using var response = await client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey,
            TraceEvents.Batch(trace.TraceStart(), large, trace.Step(1))));

        await XRayApi.EnsureAsync(response, HttpStatusCode.Accepted);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, result.GetProperty("accepted").GetInt32());
        var rejection = Assert.Single(result.GetProperty("rejected").EnumerateArray());
        Assert.Equal(1, rejection.GetProperty("index").GetInt32());
        Assert.Matches(@"^Rendered for the ingest log the event takes \d+ bytes; the log's limit is 16384\.", rejection.GetProperty("reason").GetString());

        using var read = await client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/traces/{trace.TraceId}", project.Owner.Token));
        await XRayApi.EnsureAsync(read, HttpStatusCode.OK);
        var body = await read.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, body.GetProperty("steps").GetArrayLength());
    }
}
