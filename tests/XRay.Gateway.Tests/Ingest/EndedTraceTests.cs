using System.Net;
using System.Text.Json;
using XRay.Testing;

namespace XRay.Gateway.Tests.Ingest;

/// <summary>A trace grain deactivates once its run ended; the events that reach it meanwhile must not fail their batch.</summary>
public sealed class EndedTraceTests
{
    [Fact]
    public async Task A_run_that_fails_then_succeeds_in_batches_applied_at_once_fails_no_batch()
    {
        var ct = TestContext.Current.CancellationToken;
        // One record per batch, none lingering: each event of a request is its own batch, and up to eight are applied at once,
        // so the trace's grain gets calls queued behind the one that ends its run.
        await using var gateway = new GatewayProcess(settings: new Dictionary<string, string>
        {
            ["Ingest:Consumer:MaxBatchSize"] = "1",
            ["Ingest:Consumer:BatchLinger"] = "00:00:00",
        });
        await gateway.StartAsync();
        using var client = gateway.CreateClient();
        var project = await client.CreateProjectWithKeyAsync(await client.RegisterAndLoginAsync());

        for (var round = 0; round < 3; round++)
        {
            var trace = new TraceEvents(project.ProjectId);
            // The run fails, is retried and succeeds, twice over; steps arrive in between.
            object[] events =
            [
                trace.TraceStart(), trace.Failure("first try", at: trace.Start.AddSeconds(1)), trace.Step(1),
                trace.Success(at: trace.Start.AddSeconds(2)), trace.Step(2), trace.Failure("second try", at: trace.Start.AddSeconds(3)),
                trace.Step(3), trace.Success(new { competitor = "B02" }, at: trace.Start.AddSeconds(4)), trace.Step(4),
            ];
            using var accepted = await client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey, TraceEvents.Batch(events)), ct);
            await XRayApi.EnsureAsync(accepted, HttpStatusCode.Accepted);

            var body = await ReadWhenAppliedAsync(client, project, trace.TraceId, steps: 4, ct);
            Assert.Equal("success", body.GetProperty("status").GetString());
            Assert.Equal("B02", body.GetProperty("output").GetProperty("competitor").GetString());
        }

        // A batch that failed is retried after a backoff (200 ms, doubling), holding up the commits of every batch after it.
        Assert.DoesNotContain("Reading, applying or committing a batch", gateway.Output, StringComparison.Ordinal);
    }

    private static async Task<JsonElement> ReadWhenAppliedAsync(HttpClient client, TestProject project, string traceId, int steps, CancellationToken ct)
    {
        var trace = await Poll.UntilAsync(
            () => client.GetIfFoundAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/traces/{traceId}", project.Owner.Token), ct),
            found => found is { } body && body.GetProperty("stepCount").GetInt32() == steps && body.GetProperty("output").ValueKind == JsonValueKind.Object
                && body.GetProperty("output").GetProperty("competitor").GetString() == "B02",
            TimeSpan.FromSeconds(60),
            $"trace {traceId} to be applied",
            cancellationToken: ct);
        return trace!.Value;
    }
}
