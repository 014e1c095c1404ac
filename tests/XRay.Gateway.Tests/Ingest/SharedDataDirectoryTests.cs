using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using XRay.Testing;

namespace XRay.Gateway.Tests.Ingest;

/// <summary>
/// Two servers on one data directory would share its ingest log: each appends at the end it recovered, over the
/// records the other acknowledged (before the log took a lock, 1,196 of 2,400 acknowledged events were lost so when the
/// consumers lagged). The second server must refuse to start; the first goes on.
/// </summary>
public sealed class SharedDataDirectoryTests
{
    [Fact]
    public async Task A_second_gateway_on_the_same_data_directory_refuses_to_start_and_the_first_loses_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var first = new GatewayProcess();
        await first.StartAsync();
        using var client = first.CreateClient();
        var project = await client.CreateProjectWithKeyAsync(await client.RegisterAndLoginAsync());
        var before = new TraceEvents(project.ProjectId);
        await IngestAsync(client, project, before, ct);

        await using var second = new GatewayProcess(first.DataDirectory);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => second.StartAsync());
        Assert.Contains("is open in another process", refused.Message, StringComparison.Ordinal);

        var after = new TraceEvents(project.ProjectId);
        await IngestAsync(client, project, after, ct);
        foreach (var trace in new[] { before, after })
        {
            var stored = await StoppedGateway.WaitUntilEndedAsync(client, project, trace.TraceId, ct);
            Assert.Equal("success", stored.GetProperty("status").GetString());
            Assert.Equal(1, stored.GetProperty("stepCount").GetInt32());
        }
    }

    private static async Task IngestAsync(HttpClient client, TestProject project, TraceEvents trace, CancellationToken ct)
    {
        using var response = await client.SendAsync(
            XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey, TraceEvents.Batch(trace.TraceStart(), trace.Step(1), trace.Success())), ct);
        await XRayApi.EnsureAsync(response, HttpStatusCode.Accepted);
        Assert.Equal(3, (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("accepted").GetInt32());
    }
}
