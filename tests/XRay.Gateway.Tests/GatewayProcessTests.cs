using System.Net;
using System.Net.Sockets;
using System.Runtime.Loader;
using XRay.Testing;

namespace XRay.Gateway.Tests;

/// <summary>The test harness itself: parallel test assemblies can take a port between its choice and the bind.</summary>
public sealed class GatewayProcessTests
{
    [Fact]
    public async Task A_first_start_whose_http_port_was_taken_moves_to_a_free_one()
    {
        await using var gateway = new GatewayProcess();
        var taken = gateway.Port;
        using var squatter = new TcpListener(IPAddress.Loopback, taken);
        squatter.Start();

        await gateway.StartAsync();

        Assert.NotEqual(taken, gateway.Port);
        using var client = gateway.CreateClient();
        using var health = await client.GetAsync("healthz", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public void A_port_one_test_process_was_handed_is_not_handed_to_another_before_it_ends()
    {
        // Another test assembly's copy of the harness, with statics of its own: what keeps the two apart can only be
        // what keeps two processes apart. Before, each went by its own list, and the OS offers a port again once it is
        // free: among 400 ports each, about a dozen were handed to both.
        var other = new AssemblyLoadContext("another test process", isCollectible: true);
        var otherNext = other.LoadFromAssemblyPath(typeof(FreePorts).Assembly.Location)
            .GetType(typeof(FreePorts).FullName!, throwOnError: true)!.GetMethod(nameof(FreePorts.Next))!;
        try
        {
            var mine = Enumerable.Range(0, 400).Select(_ => FreePorts.Next()).ToHashSet();
            var theirs = Enumerable.Range(0, 400).Select(_ => (int)otherNext.Invoke(null, null)!).ToList();

            Assert.Empty(theirs.Intersect(mine));
        }
        finally
        {
            other.Unload();
        }
    }
}
