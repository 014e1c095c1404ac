using System.Net;
using XRay.Testing;

namespace XRay.Gateway.Tests;

/// <summary>
/// <c>X-Forwarded-For</c> names the client for the limits per client address only when a listed proxy sent it
/// (<c>ForwardedHeaders:KnownProxies</c>, <c>KnownNetworks</c>); the test client on 127.0.0.1 plays the proxy.
/// </summary>
public sealed class TrustedProxyTests
{
    [Theory]
    [InlineData(null, false)]
    [InlineData("ForwardedHeaders:KnownProxies:0=192.0.2.1", false)] // another proxy listed: loopback is not trusted unasked
    [InlineData("ForwardedHeaders:KnownProxies:0=127.0.0.1", true)]
    [InlineData("ForwardedHeaders:KnownNetworks=192.0.2.0/24, 127.0.0.0/8", true)] // one comma-separated value, as an environment variable
    // ASP.NET Core's own switch (ASPNETCORE_FORWARDEDHEADERS_ENABLED) runs the middleware trusting every sender; it trusts
    // no one more here, and does not widen a list either
    [InlineData("FORWARDEDHEADERS_ENABLED=true", false)]
    [InlineData("FORWARDEDHEADERS_ENABLED=true|ForwardedHeaders:KnownProxies:0=192.0.2.1", false)]
    [InlineData("FORWARDEDHEADERS_ENABLED=true|ForwardedHeaders:KnownProxies:0=127.0.0.1", true)]
    public async Task X_Forwarded_For_names_the_client_only_from_a_listed_proxy(string? proxySettings, bool trusted)
    {
        // Callers without a token are limited by their address: a burst of 50, refilled one a second.
        var settings = new Dictionary<string, string> { ["RateLimits:UserBurst"] = "50", ["RateLimits:UserRequestsPerSecond"] = "1" };
        foreach (var setting in proxySettings?.Split('|') ?? [])
        {
            var (key, value) = (setting[..setting.IndexOf('=')], setting[(setting.IndexOf('=') + 1)..]);
            settings[key] = value;
        }

        await using var gateway = new GatewayProcess(settings: settings);
        await gateway.StartAsync();
        using var client = gateway.CreateClient();

        // Sent at once, so the bucket cannot refill between them however slow the machine is.
        var first = await AnonymousRequestsAsync(client, "203.0.113.7", 80);
        Assert.Contains(HttpStatusCode.TooManyRequests, first);

        // Another client behind the proxy: a bucket of its own is full; the proxy's shared one is spent.
        var second = await AnonymousRequestsAsync(client, "203.0.113.8", 50);
        if (trusted)
        {
            Assert.All(second, status => Assert.Equal(HttpStatusCode.Unauthorized, status));
        }
        else
        {
            Assert.Contains(HttpStatusCode.TooManyRequests, second);
        }
    }

    private static async Task<HttpStatusCode[]> AnonymousRequestsAsync(HttpClient client, string forwardedFor, int count) =>
        await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/projects");
            request.Headers.Add("X-Forwarded-For", forwardedFor);
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }));
}
