using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using XRay.Testing;

namespace XRay.Gateway.Tests;

/// <summary>
/// The metrics endpoint (docs/metrics.md), scraped from a real gateway. Counters are compared before and after on a
/// gateway of the test's own, so no other test's ingest moves them.
/// </summary>
public sealed class MetricsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Ingest_metrics_count_what_was_acknowledged_rejected_refused_and_applied()
    {
        await using var gateway = new GatewayProcess(settings: new Dictionary<string, string> { ["Metrics:Path"] = "/ops/metrics" });
        await gateway.StartAsync();
        using var client = gateway.CreateClient();
        var project = await client.CreateProjectWithKeyAsync(await client.RegisterAndLoginAsync());
        var trace = new TraceEvents(project.ProjectId);
        using (var moved = await client.GetAsync("metrics", Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, moved.StatusCode); // Metrics:Path moved it
        }

        var before = await ScrapeAsync(client, "ops/metrics");
        object[] valid = [trace.TraceStart(), trace.Step(1), trace.Step(2), trace.Step(3), trace.Success()];
        object[] invalid = [new { eventId = "not-a-uuid", type = "step", traceId = trace.TraceId }, new { eventId = TraceEvents.NewId(), type = "bogus" }];
        using (var response = await client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey, TraceEvents.Batch([.. valid, .. invalid])), Ct))
        {
            await XRayApi.EnsureAsync(response, HttpStatusCode.Accepted);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal(valid.Length, body.GetProperty("accepted").GetInt32());
            Assert.Equal(invalid.Length, body.GetProperty("rejected").GetArrayLength());
        }

        using (var malformed = new HttpRequestMessage(HttpMethod.Post, "api/v1/ingest") { Content = new StringContent("{\"events\": [", Encoding.UTF8, "application/json") })
        {
            malformed.Headers.Add("x-api-key", project.ApiKey);
            using var response = await client.SendAsync(malformed, Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        using (var presign = await client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/presign", project.ApiKey,
            new { traceId = trace.TraceId, dataId = TraceEvents.NewId(), contentType = "application/json", size = 2 }), Ct))
        {
            await XRayApi.EnsureAsync(presign, HttpStatusCode.OK);
        }

        // Recorded before the answer left: exact at once.
        var after = await ScrapeAsync(client, "ops/metrics");
        Assert.Equal(1, Moved("xray_ingest_requests_total", ("outcome", "accepted")));
        Assert.Equal(1, Moved("xray_ingest_requests_total", ("outcome", "refused")));
        Assert.Equal(0, Moved("xray_ingest_requests_total", ("outcome", "throttled")));
        Assert.Equal(valid.Length, Moved("xray_ingest_events_total", ("outcome", "accepted")));
        Assert.Equal(invalid.Length, Moved("xray_ingest_events_total", ("outcome", "rejected")));
        Assert.Equal(1, Moved("xray_ingest_append_duration_seconds_count"));
        Assert.True(Moved("xray_ingest_append_duration_seconds_sum") > 0);
        Assert.Equal(1, Moved("xray_blobs_presigned_total"));

        // Applied in the background: the consumer's counters reach the events (and the blob's data event), and the lag drains.
        var applied = valid.Length + 1;
        after = await Poll.UntilAsync(
            () => ScrapeAsync(client, "ops/metrics"),
            now => MovedIn(now, "xray_ingest_consumer_events_total") >= applied && now.Value("xray_store_rows_inserted_total", ("kind", "data")) >= 1
                && now.Has("xray_ingest_consumer_lag") && now.Value("xray_ingest_consumer_lag") == 0
                && MovedIn(now, "xray_ingest_consumer_committed_total") >= applied,
            TimeSpan.FromSeconds(30),
            "the consumer metrics to catch up",
            cancellationToken: Ct);

        Assert.Equal(applied, Moved("xray_ingest_consumer_events_total"));
        Assert.Equal(applied, Moved("xray_ingest_consumer_committed_total")); // the idle log commits what the interval held back
        Assert.Equal(3, Moved("xray_store_rows_inserted_total", ("kind", "step")));
        Assert.Equal(1, Moved("xray_store_rows_inserted_total", ("kind", "data")));
        Assert.True(Moved("xray_store_write_duration_seconds_count") >= 1);

        // Built-in meters are exported beside ours, and no label carries a tenant's ids.
        Assert.True(after.Has("http_server_request_duration_seconds_count"));
        Assert.DoesNotContain(after.LabelValues, v => v.Contains(project.ProjectId, StringComparison.Ordinal) || v.Contains(project.KeyId, StringComparison.Ordinal));

        double Moved(string name, params (string, string)[] labels) => MovedIn(after, name, labels);
        double MovedIn(PrometheusText reading, string name, params (string, string)[] labels) => reading.Value(name, labels) - before.Value(name, labels);
    }

    [Fact]
    public async Task Every_ingest_counter_is_exported_at_zero_before_the_first_request()
    {
        await using var gateway = new GatewayProcess();
        await gateway.StartAsync();
        using var client = gateway.CreateClient();

        var first = await ScrapeAsync(client, "metrics");

        (string Name, (string, string)[] Labels)[] series =
        [
            ("xray_ingest_requests_total", [("outcome", "accepted")]), ("xray_ingest_requests_total", [("outcome", "refused")]),
            ("xray_ingest_requests_total", [("outcome", "throttled")]), ("xray_ingest_requests_total", [("outcome", "failed")]),
            ("xray_ingest_events_total", [("outcome", "accepted")]), ("xray_ingest_events_total", [("outcome", "rejected")]),
            ("xray_blobs_presigned_total", []), ("xray_ingest_consumer_events_total", []), ("xray_ingest_consumer_committed_total", []),
            ("xray_store_rows_inserted_total", [("kind", "step")]), ("xray_store_rows_inserted_total", [("kind", "data")]),
        ];
        foreach (var (name, labels) in series)
        {
            Assert.True(first.Has(name, labels), $"{name} {string.Join(',', labels)} is not exported before the first request");
            Assert.Equal(0, first.Value(name, labels));
        }
    }

    [Fact]
    public async Task Turned_off_there_is_no_metrics_endpoint()
    {
        await using var gateway = new GatewayProcess(settings: new Dictionary<string, string> { ["Metrics:Enabled"] = "false" });
        await gateway.StartAsync();
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("metrics", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task A_metrics_path_that_is_not_a_path_stops_the_start_naming_the_setting()
    {
        await using var gateway = new GatewayProcess(settings: new Dictionary<string, string> { ["Metrics:Path"] = "metrics" });

        await Assert.ThrowsAsync<InvalidOperationException>(() => gateway.StartAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Metrics:Path must be a path", gateway.Output, StringComparison.Ordinal);
    }

    private static Task<PrometheusText> ScrapeAsync(HttpClient client, string path) => PrometheusText.ScrapeAsync(client, path, Ct);
}
