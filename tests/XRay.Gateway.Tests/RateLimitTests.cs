using System.Net;
using System.Net.Http.Json;
using XRay.Testing;

namespace XRay.Gateway.Tests;

public sealed class RateLimitTests
{
    [Fact]
    public async Task Sign_in_and_ingest_floods_get_429_with_Retry_After()
    {
        await using var gateway = new GatewayProcess(settings: new Dictionary<string, string>
        {
            ["RateLimits:AuthBurst"] = "4",
            ["RateLimits:AuthRequestsPerSecond"] = "1",
            ["RateLimits:SdkBurst"] = "3",
            ["RateLimits:SdkRequestsPerSecond"] = "1",
        });
        await gateway.StartAsync();
        using var client = gateway.CreateClient();
        var owner = await client.RegisterAndLoginAsync(); // 2 of the 4 sign-in tokens
        var project = await client.CreateProjectWithKeyAsync(owner);

        // Sent at once, so the bucket cannot refill between them however slow the machine is.
        var logins = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.PostAsJsonAsync("api/v1/auth/login", new { email = owner.Email, password = "wrong password, many times" })));
        var statuses = logins.Select(l => l.StatusCode).ToList();
        foreach (var login in logins.Where(l => l.StatusCode == HttpStatusCode.TooManyRequests))
        {
            Assert.True(login.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
            Assert.Equal("application/problem+json", login.Content.Headers.ContentType?.MediaType);
        }

        Array.ForEach(logins, l => l.Dispose());

        Assert.Contains(HttpStatusCode.Unauthorized, statuses);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);

        var trace = new TraceEvents(project.ProjectId);
        var ingest = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey, TraceEvents.Batch(trace.Step(i + 1))))));
        var ingestStatuses = ingest.Select(r => r.StatusCode).ToList();
        Array.ForEach(ingest, r => r.Dispose());
        Assert.Contains(HttpStatusCode.Accepted, ingestStatuses);
        Assert.Contains(HttpStatusCode.TooManyRequests, ingestStatuses);

        // The SDK's key check is an SDK request too, and random keys share their address's bucket: each lookup costs the store.
        var checks = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => client.SendAsync(
            XRayApi.WithKey(HttpMethod.Get, "api/v1/auth/key", "xray_" + Guid.NewGuid().ToString("N"), null))));
        var checkStatuses = checks.Select(r => r.StatusCode).ToList();
        Array.ForEach(checks, r => r.Dispose());
        Assert.Contains(HttpStatusCode.Unauthorized, checkStatuses);
        Assert.Contains(HttpStatusCode.TooManyRequests, checkStatuses);
    }
}
