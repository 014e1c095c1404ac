using System.Net;
using XRay.Testing;

namespace XRay.Gateway.Tests.Ingest;

/// <summary>A graceful stop (SIGTERM) commits the consumer's offsets for everything applied, as a Kafka consumer commits on close.</summary>
public sealed class ConsumerStopTests
{
    [Fact]
    public async Task A_graceful_stop_commits_the_offsets_of_every_applied_batch()
    {
        var ct = TestContext.Current.CancellationToken;
        // Offsets are committed after the first batch, then not again for a minute, and never while idle (the poll
        // waits ten minutes for a record): only the stop can commit the second batch.
        await using var gateway = new GatewayProcess(settings: new Dictionary<string, string>
        {
            ["Ingest:Consumer:CommitInterval"] = "00:01:00",
            ["Ingest:Consumer:PollWait"] = "00:10:00",
        });
        await gateway.StartAsync();
        using (var client = gateway.CreateClient())
        {
            var project = await client.CreateProjectWithKeyAsync(await client.RegisterAndLoginAsync());
            foreach (var trace in new[] { new TraceEvents(project.ProjectId), new TraceEvents(project.ProjectId) })
            {
                using var accepted = await client.SendAsync(
                    XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey, TraceEvents.Batch(trace.TraceStart(), trace.Step(1), trace.Success())), ct);
                await XRayApi.EnsureAsync(accepted, HttpStatusCode.Accepted);
                await StoppedGateway.WaitUntilEndedAsync(client, project, trace.TraceId, ct);
            }
        }

        await gateway.StopAsync();

        await using var log = StoppedGateway.OpenLog(gateway);
        var ends = await log.GetEndOffsetsAsync(ct);
        Assert.Equal(6, ends.Sum());
        Assert.Equal(ends, await log.GetCommittedOffsetsAsync("xray-consumers", ct));
    }
}
