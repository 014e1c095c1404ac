using System.Buffers.Text;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
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

    [Fact]
    public async Task Made_up_keys_from_one_address_are_refused_before_the_store_is_asked()
    {
        await using var gateway = new GatewayProcess(settings: new Dictionary<string, string>
        {
            ["RateLimits:KeyLookupBurst"] = "10",
            ["RateLimits:KeyLookupsPerSecond"] = "1",
        });
        await gateway.StartAsync();
        using var client = gateway.CreateClient();
        var project = await client.CreateProjectWithKeyAsync(await client.RegisterAndLoginAsync());
        var mistyped = MadeUpKey();
        Assert.Equal(HttpStatusCode.OK, await KeyCheckAsync(client, project.ApiKey)); // seen valid: spends no budget from now on
        Assert.Equal(HttpStatusCode.Unauthorized, await KeyCheckAsync(client, mistyped)); // seen refused: refused without a lookup from now on

        // Every made-up key that is looked up activates a key grain of its own, which asks the store once.
        var before = await ApiKeyActivationsAsync(client);
        var clock = Stopwatch.StartNew();
        var spray = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => client.SendAsync(XRayApi.WithKey(HttpMethod.Get, "api/v1/auth/key", MadeUpKey()))));
        var refills = Math.Ceiling(clock.Elapsed.TotalSeconds) + 1; // one a second, however slow the machine
        var lookups = await ApiKeyActivationsAsync(client) - before;
        var statuses = spray.Select(r => r.StatusCode).ToList();
        foreach (var refused in spray.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests))
        {
            Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }

        Array.ForEach(spray, r => r.Dispose());
        Assert.InRange(lookups, 0, 10 + refills);
        Assert.Equal(lookups, statuses.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.Equal(100 - lookups, statuses.Count(s => s == HttpStatusCode.TooManyRequests));

        // Keys already seen are still answered as before, the refused one from memory.
        Assert.Equal(HttpStatusCode.OK, await KeyCheckAsync(client, project.ApiKey));
        var activations = await ApiKeyActivationsAsync(client);
        Assert.Equal(HttpStatusCode.Unauthorized, await KeyCheckAsync(client, mistyped));
        Assert.Equal(activations, await ApiKeyActivationsAsync(client));

        // A remembered valid key is still resolved on every request: its revocation takes effect at once.
        using (var revoke = await client.SendAsync(XRayApi.Authorized(HttpMethod.Delete, $"api/v1/projects/{project.ProjectId}/keys/{project.KeyId}", project.Owner.Token)))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await KeyCheckAsync(client, project.ApiKey));
    }

    /// <summary>A key of the right shape that no project has.</summary>
    private static string MadeUpKey() => "xray_" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    private static async Task<HttpStatusCode> KeyCheckAsync(HttpClient client, string key)
    {
        using var response = await client.SendAsync(XRayApi.WithKey(HttpMethod.Get, "api/v1/auth/key", key));
        return response.StatusCode;
    }

    private static async Task<double> ApiKeyActivationsAsync(HttpClient client)
    {
        using var response = await client.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new PrometheusText(await response.Content.ReadAsStringAsync())
            .Value("orleans_catalog_activation_created_total", ("grain_type", "apikey"));
    }

    [Fact]
    public async Task Logins_are_limited_per_email_whatever_the_address_and_whether_the_account_exists()
    {
        // One token a minute: nothing refills while the test runs. The per-address limit stays the fixture's (huge).
        await using var gateway = new GatewayProcess(settings: new Dictionary<string, string>
        {
            ["RateLimits:LoginBurstPerEmail"] = "3",
            ["RateLimits:LoginsPerEmailPerMinute"] = "1",
        });
        await gateway.StartAsync();
        using var client = gateway.CreateClient();
        var owner = await client.RegisterAndLoginAsync(); // 1 of the owner's 3 tokens

        var known = await LoginsAsync(client, owner.Email, "wrong password, many times", 6);
        var unknown = await LoginsAsync(client, $"nobody-{Guid.NewGuid():N}@example.test", "wrong password, many times", 6);

        // The same counts and the same refusal for an account that exists and one that does not.
        Assert.Equal(2, known.Count(r => r.Status == HttpStatusCode.Unauthorized));
        Assert.Equal(4, known.Count(r => r.Status == HttpStatusCode.TooManyRequests));
        Assert.Equal(3, unknown.Count(r => r.Status == HttpStatusCode.Unauthorized));
        Assert.Equal(3, unknown.Count(r => r.Status == HttpStatusCode.TooManyRequests));
        var refusals = known.Concat(unknown).Where(r => r.Status == HttpStatusCode.TooManyRequests).ToList();
        Assert.All(refusals, r => Assert.True(r.RetryAfter >= TimeSpan.FromSeconds(1)));
        Assert.All(refusals, r => Assert.Equal("application/problem+json", r.MediaType));
        Assert.Single(refusals.Select(r => r.Title).Distinct());

        // The right password waits too (in any letter case), while another email from the same address is still heard.
        var right = await LoginsAsync(client, owner.Email.ToUpperInvariant(), owner.Password, 1);
        Assert.Equal(HttpStatusCode.TooManyRequests, right[0].Status);
        var other = await LoginsAsync(client, $"other-{Guid.NewGuid():N}@example.test", "wrong password", 1);
        Assert.Equal(HttpStatusCode.Unauthorized, other[0].Status);
    }

    [Fact]
    public async Task User_endpoints_are_limited_per_user()
    {
        await using var gateway = new GatewayProcess(settings: new Dictionary<string, string>
        {
            ["RateLimits:UserBurst"] = "3",
            ["RateLimits:UserRequestsPerSecond"] = "1",
        });
        await gateway.StartAsync();
        using var client = gateway.CreateClient();
        var busy = await client.RegisterAndLoginAsync();
        var quiet = await client.RegisterAndLoginAsync();

        // Sent at once, so the bucket cannot refill between them however slow the machine is.
        var lists = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.SendAsync(XRayApi.Authorized(HttpMethod.Get, "api/v1/projects", busy.Token))));
        var statuses = lists.Select(r => r.StatusCode).ToList();
        foreach (var refused in lists.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests))
        {
            Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }

        Array.ForEach(lists, r => r.Dispose());
        Assert.Contains(HttpStatusCode.OK, statuses);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);

        // Another user from the same address has a bucket of their own.
        using var other = await client.SendAsync(XRayApi.Authorized(HttpMethod.Get, "api/v1/projects", quiet.Token));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task IPv6_clients_share_a_bucket_per_64_prefix()
    {
        // Two local addresses in one /64 (an IPv6 host with a temporary address has them; CI can add two to lo).
        var pair = NetworkInterface.GetAllNetworkInterfaces().SelectMany(i => i.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetworkV6 && !a.IsIPv6LinkLocal && !IPAddress.IsLoopback(a))
            .GroupBy(a => Convert.ToHexString(a.GetAddressBytes(), 0, 8)).FirstOrDefault(g => g.Count() >= 2)?.Take(2).ToArray();
        if (pair is null)
        {
            Assert.Skip("needs two local IPv6 addresses in one /64, e.g. `ip -6 addr add fd99::1/64 dev lo; ip -6 addr add fd99::2/64 dev lo`");
        }

        await using var gateway = new GatewayProcess(settings: new Dictionary<string, string>
        {
            ["RateLimits:AuthBurst"] = "6",
            ["RateLimits:AuthRequestsPerSecond"] = "1",
        }, allAddresses: true);
        await gateway.StartAsync();

        // Six from each address at once: separate buckets of six would refuse none.
        var target = new Uri($"http://[{pair[0]}]:{gateway.Port}/");
        using var first = FromAddress(pair[0], target);
        using var second = FromAddress(pair[1], target);
        var logins = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            (i % 2 == 0 ? first : second).PostAsJsonAsync("api/v1/auth/login", new { email = "nobody@example.test", password = "wrong password" })));
        var statuses = logins.Select(r => r.StatusCode).ToList();
        Array.ForEach(logins, r => r.Dispose());
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
    }

    private static HttpClient FromAddress(IPAddress source, Uri target) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint.Host.Trim('[', ']'), context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    }) { BaseAddress = target };

    private sealed record Login(HttpStatusCode Status, TimeSpan? RetryAfter, string? MediaType, string? Title);

    private static async Task<Login[]> LoginsAsync(HttpClient client, string email, string password, int count) =>
        await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            using var response = await client.PostAsJsonAsync("api/v1/auth/login", new { email, password });
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            return new Login(response.StatusCode, response.Headers.RetryAfter?.Delta, response.Content.Headers.ContentType?.MediaType,
                body.TryGetProperty("title", out var title) ? title.GetString() : null);
        }));

    [Theory]
    [InlineData("RateLimits:UserBurst", "0", "RateLimits:UserRequestsPerSecond and UserBurst must be positive")]
    [InlineData("RateLimits:KeyLookupsPerSecond", "0", "RateLimits:KeyLookupsPerSecond and KeyLookupBurst must be positive")]
    [InlineData("ForwardedHeaders:KnownProxies:0", "10.0.0.300", "ForwardedHeaders:KnownProxies holds '10.0.0.300', which is not an IP address")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.0.0.0/33", "ForwardedHeaders:KnownNetworks holds '10.0.0.0/33', which is not a network in CIDR notation")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.0.0.0", "ForwardedHeaders:KnownNetworks holds '10.0.0.0', which is not a network in CIDR notation")]
    [InlineData("RateLimits:LoginsPerEmailPerMinute", "0", "RateLimits:LoginsPerEmailPerMinute must be between 1 and 60000")]
    public async Task Bad_limits_or_proxy_lists_stop_the_start(string key, string value, string message)
    {
        await using var gateway = new GatewayProcess(settings: new Dictionary<string, string> { [key] = value });

        await Assert.ThrowsAsync<InvalidOperationException>(() => gateway.StartAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(message, gateway.Output, StringComparison.Ordinal);
    }
}
