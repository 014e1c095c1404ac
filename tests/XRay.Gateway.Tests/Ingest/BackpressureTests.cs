using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using XRay.Testing;

namespace XRay.Gateway.Tests.Ingest;

public sealed class BackpressureTests
{
    [Fact]
    public async Task A_consumer_far_behind_turns_new_batches_away_with_429_and_keeps_what_it_acknowledged()
    {
        // A consumer that pauses after every batch falls behind at once.
        await using var gateway = new GatewayProcess(settings: new Dictionary<string, string>
        {
            ["Ingest:Consumer:PauseBetweenBatches"] = "00:00:01",
            ["Ingest:Consumer:MaxBatchSize"] = "20",
            ["Ingest:MinBacklogRecords"] = "40",
            ["Ingest:MaxApplyLag"] = "00:00:00.100",
            ["Ingest:MaxAdmissionWait"] = "00:00:00.200",
        });
        await gateway.StartAsync();
        using var client = gateway.CreateClient();
        var project = await client.CreateProjectWithKeyAsync(await client.RegisterAndLoginAsync());
        var trace = new TraceEvents(project.ProjectId);

        var acknowledged = new List<string>();
        HttpResponseMessage? refused = null;
        for (var batch = 0; batch < 40 && refused is null; batch++)
        {
            var ids = Enumerable.Range(0, 20).Select(_ => TraceEvents.NewId()).ToList();
            var response = await client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey,
                TraceEvents.Batch([.. ids.Select((id, i) => trace.Step((batch * 20) + i + 1, id))])));
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                acknowledged.AddRange(ids);
                response.Dispose();
            }
            else
            {
                refused = response;
            }
        }

        Assert.NotNull(refused);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.Contains("waiting to be applied", await refused.Content.ReadAsStringAsync());
        refused.Dispose();

        // Everything acknowledged before the refusal is applied in the end.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        List<string> stored;
        do
        {
            using var response = await client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/traces/{trace.TraceId}", project.Owner.Token));
            stored = response.StatusCode == HttpStatusCode.OK
                ? [.. (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("stepId").GetString()!)]
                : [];
        }
        while (stored.Count < acknowledged.Count && DateTime.UtcNow < deadline);
        Assert.Empty(acknowledged.Except(stored));
    }

    [Fact]
    public async Task A_batch_over_the_limit_waits_for_the_consumer_instead_of_being_refused()
    {
        // 100 records/s applied; a backlog over 40 records holds new batches until it drains.
        await using var gateway = new GatewayProcess(settings: new Dictionary<string, string>
        {
            ["Ingest:Consumer:PauseBetweenBatches"] = "00:00:00.200",
            ["Ingest:Consumer:MaxBatchSize"] = "20",
            ["Ingest:MinBacklogRecords"] = "40",
            ["Ingest:MaxApplyLag"] = "00:00:00.001",
            ["Ingest:MaxAdmissionWait"] = "00:00:10",
        });
        await gateway.StartAsync();
        using var client = gateway.CreateClient();
        var project = await client.CreateProjectWithKeyAsync(await client.RegisterAndLoginAsync());
        var trace = new TraceEvents(project.ProjectId);

        var slowest = TimeSpan.Zero;
        for (var batch = 0; batch < 10; batch++)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            using var response = await client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey,
                TraceEvents.Batch([.. Enumerable.Range(1, 20).Select(i => trace.Step((batch * 20) + i))])));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            slowest = TimeSpan.FromTicks(Math.Max(slowest.Ticks, System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks));
        }

        // Without admission control every batch is answered as soon as it is appended (milliseconds).
        Assert.True(slowest >= TimeSpan.FromMilliseconds(100), $"no batch waited for the consumer (slowest {slowest.TotalMilliseconds:0} ms)");
    }
}
