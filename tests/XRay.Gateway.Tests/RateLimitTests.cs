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
            ["RateLimits:AuthBurst"] = "5",
            ["RateLimits:AuthRequestsPerSecond"] = "1",
            ["RateLimits:SdkBurst"] = "3",
            ["RateLimits:SdkRequestsPerSecond"] = "1",
        });
        await gateway.StartAsync();
        using var client = gateway.CreateClient();
        var owner = await client.RegisterAndLoginAsync(); // 2 of the 5 sign-in tokens
        var project = await client.CreateProjectWithKeyAsync(owner);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var login = await client.PostAsJsonAsync("api/v1/auth/login", new { email = owner.Email, password = "wrong password, many times" });
            statuses.Add(login.StatusCode);
            if (login.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(login.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
                Assert.Equal("application/problem+json", login.Content.Headers.ContentType?.MediaType);
            }
        }

        Assert.Contains(HttpStatusCode.Unauthorized, statuses);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);

        var trace = new TraceEvents(project.ProjectId);
        var ingest = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey, TraceEvents.Batch(trace.Step(i + 1))));
            ingest.Add(response.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Accepted, ingest[0]);
        Assert.Contains(HttpStatusCode.TooManyRequests, ingest);
    }
}
