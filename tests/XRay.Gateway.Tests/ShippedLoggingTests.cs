using System.Net;
using XRay.Testing;

namespace XRay.Gateway.Tests;

/// <summary>
/// At the shipped log levels (appsettings.json) ingest logs nothing per trace. Orleans places every new trace grain
/// through a Polly pipeline that logs two Information entries per placement: at 25,000 events/s, about 3,000 console
/// entries a second on the ingest path, before <c>"Polly": "Warning"</c>. Nor does it log per request refused for a bad
/// API key: a flood of them would fill the log.
/// </summary>
public sealed class ShippedLoggingTests
{
    [Fact]
    public async Task At_the_shipped_log_levels_ingest_logs_nothing_per_trace()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await StartAtShippedLevelsAsync();
        using var client = gateway.CreateClient();
        var project = await client.CreateProjectWithKeyAsync(await client.RegisterAndLoginAsync());
        var linesBefore = gateway.Output.Split(Environment.NewLine).Length;

        const int traces = 40;
        var runs = Enumerable.Range(0, traces).Select(_ => new TraceEvents(project.ProjectId)).ToList();
        var events = runs.SelectMany(run => new[] { run.TraceStart(), run.Step(1), run.Success() }).ToArray();
        using var accepted = await client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey, TraceEvents.Batch(events)), ct);
        await XRayApi.EnsureAsync(accepted, HttpStatusCode.Accepted);
        foreach (var run in runs)
        {
            // the read waits for the consumer to apply the run: every trace grain has been placed by then
            using var read = await client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/traces/{run.TraceId}", project.Owner.Token), ct);
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        var output = gateway.Output;
        var linesAfter = output.Split(Environment.NewLine).Length;
        Assert.DoesNotContain("Polly[", output, StringComparison.Ordinal);
        Assert.True(linesAfter - linesBefore < traces, $"{linesAfter - linesBefore} lines logged for {traces} traces:{Environment.NewLine}{output}");
    }

    [Fact]
    public async Task At_the_shipped_log_levels_a_refused_api_key_logs_nothing_per_request()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await StartAtShippedLevelsAsync();
        using var client = gateway.CreateClient();
        var linesBefore = gateway.Output.Split(Environment.NewLine).Length;

        const int requests = 12;
        for (var i = 0; i < requests; i++)
        {
            using var refused = await client.SendAsync(XRayApi.WithKey(HttpMethod.Get, "api/v1/auth/key", "xray_not-a-key", null), ct);
            Assert.Contains(refused.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests });
        }

        var output = gateway.Output;
        var linesAfter = output.Split(Environment.NewLine).Length;
        Assert.True(linesAfter - linesBefore < requests, $"{linesAfter - linesBefore} lines logged for {requests} refused keys:{Environment.NewLine}{output}");
    }

    /// <summary>The harness quiets everything to Warning; this puts the shipped default back so appsettings.json decides.</summary>
    private static async Task<GatewayProcess> StartAtShippedLevelsAsync()
    {
        var gateway = new GatewayProcess(settings: new Dictionary<string, string> { ["Logging:LogLevel:Default"] = "Information" });
        try
        {
            await gateway.StartAsync();
            return gateway;
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
    }
}
