using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using XRay.Testing;

namespace XRay.Gateway.Tests.Ingest;

/// <summary>
/// A developer opens the running gateway's SQLite file with the <c>sqlite3</c> shell and closes it again. A closing
/// connection that believes it is the file's last user checkpoints and deletes the write-ahead log; the gateway's
/// shared lock on the database file is what tells it otherwise, and the gateway must never drop it.
/// </summary>
public sealed class ExternalConnectionTests
{
    [Fact]
    public async Task The_sqlite3_shell_opening_and_closing_the_store_takes_nothing_from_the_running_gateway()
    {
        Assert.SkipUnless(
            Environment.GetEnvironmentVariable("PATH")?.Split(Path.PathSeparator).Any(dir => File.Exists(Path.Combine(dir, "sqlite3"))) == true,
            "the sqlite3 shell is not installed (eng/install-test-deps.sh installs it)");
        await using var gateway = new GatewayProcess();
        await gateway.StartAsync();
        using var client = gateway.CreateClient();
        var project = await client.CreateProjectWithKeyAsync(await client.RegisterAndLoginAsync());

        var before = await IngestAsync(client, project);
        await WaitUntilListedAsync(client, project, before);
        await WaitUntilCommittedAsync(client); // the consumer has synced the store since

        var database = Path.Combine(gateway.DataDirectory, "xray.db");
        Assert.True(File.Exists(database + "-wal"), "the gateway's store has a write-ahead log while it runs");
        Assert.Equal("3", await Sqlite3Async(database, "SELECT COUNT(*) FROM steps;"));
        Assert.True(File.Exists(database + "-wal"), "the shell's closing connection deleted the running gateway's write-ahead log");

        var after = await IngestAsync(client, project);
        await WaitUntilListedAsync(client, project, after);
        await WaitUntilCommittedAsync(client); // past the consumer's offset commit: no redelivery to hide a loss

        await gateway.KillAsync();
        await gateway.StartAsync();
        using var restarted = gateway.CreateClient();
        foreach (var traceId in new[] { before, after })
        {
            using var response = await restarted.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/traces/{traceId}", project.Owner.Token), TestContext.Current.CancellationToken);
            await XRayApi.EnsureAsync(response, HttpStatusCode.OK);
            var trace = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
            Assert.Equal("success", trace.GetProperty("status").GetString());
            Assert.Equal(3, trace.GetProperty("steps").GetArrayLength());
        }
    }

    /// <summary>Runs the <c>sqlite3</c> shell (installed by <c>eng/install-test-deps.sh</c>) on the file, read-write, as a developer would.</summary>
    private static async Task<string> Sqlite3Async(string database, string sql)
    {
        var start = new ProcessStartInfo("sqlite3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(database);
        start.ArgumentList.Add(sql);
        using var shell = Process.Start(start)!;
        var output = await shell.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = await shell.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await shell.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(shell.ExitCode == 0, $"sqlite3 exited with {shell.ExitCode}: {error}");
        return output.Trim();
    }

    private static async Task<string> IngestAsync(HttpClient client, TestProject project)
    {
        var trace = new TraceEvents(project.ProjectId);
        using var response = await client.SendAsync(
            XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey, TraceEvents.Batch(trace.TraceStart(), trace.Step(1), trace.Step(2), trace.Step(3), trace.Success())),
            TestContext.Current.CancellationToken);
        await XRayApi.EnsureAsync(response, HttpStatusCode.Accepted);
        return trace.TraceId;
    }

    /// <summary>
    /// Waits until the consumer committed the offsets of every event the gateway accepted (<c>GET /metrics</c>): the store
    /// synced them first, and a restart will not read them again.
    /// </summary>
    private static async Task WaitUntilCommittedAsync(HttpClient client) =>
        await Poll.UntilAsync(
            () => PrometheusText.ScrapeAsync(client, cancellationToken: TestContext.Current.CancellationToken),
            metrics => metrics.Value("xray_ingest_events_total", ("outcome", "accepted")) is var accepted and > 0
                && metrics.Value("xray_ingest_consumer_committed_total") >= accepted,
            TimeSpan.FromSeconds(30),
            "the consumer to commit the offsets of every accepted event",
            cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>Waits until the trace is in the store (the project's list reads the store, not the trace's grain).</summary>
    private static Task WaitUntilListedAsync(HttpClient client, TestProject project, string traceId) =>
        Poll.UntilAsync(
            async () =>
            {
                using var response = await client.SendAsync(
                    XRayApi.Authorized(HttpMethod.Get, $"api/v1/projects/{project.ProjectId}/traces?status=success", project.Owner.Token),
                    TestContext.Current.CancellationToken);
                await XRayApi.EnsureAsync(response, HttpStatusCode.OK);
                var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
                return body.GetProperty("items").EnumerateArray().Any(t => t.GetProperty("traceId").GetString() == traceId);
            },
            TimeSpan.FromSeconds(30),
            $"trace {traceId} to be listed",
            cancellationToken: TestContext.Current.CancellationToken);
}
