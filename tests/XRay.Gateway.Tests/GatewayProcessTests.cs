using System.Net;
using System.Net.Sockets;
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
}
