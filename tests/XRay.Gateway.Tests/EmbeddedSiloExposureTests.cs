using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using XRay.Grains.Accounts;
using XRay.Testing;

namespace XRay.Gateway.Tests;

/// <summary>
/// The embedded silo's grains trust their callers: the gateway checks tokens, keys and membership before it calls them.
/// So nothing outside the gateway's own process may reach them, however close it runs (another user's process on the
/// host, a sidecar sharing the pod's loopback).
/// </summary>
public sealed class EmbeddedSiloExposureTests
{
    [Fact]
    public async Task An_outside_orleans_client_cannot_make_itself_a_projects_owner()
    {
        // Earlier versions opened an Orleans client gateway on Orleans:GatewayPort (30000 unless set); the setting is gone,
        // and is passed here only so that such a version listens where this test knocks.
        var gatewayPort = FreePorts.Next();
        await using var gateway = new GatewayProcess(settings: new Dictionary<string, string>
        {
            ["Orleans:GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
        });
        await gateway.StartAsync();
        using var client = gateway.CreateClient();
        var owner = await client.RegisterAndLoginAsync();
        var intruder = await client.RegisterAndLoginAsync();
        var project = await client.CreateProjectWithKeyAsync(owner);
        var members = $"api/v1/projects/{project.ProjectId}/members";

        await TryAddOwnerThroughOrleansAsync(gatewayPort, project.ProjectId, intruder.UserId);

        using var read = await client.SendAsync(XRayApi.Authorized(HttpMethod.Get, members, intruder.Token));
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
    }

    /// <summary>What any local process can do with the Orleans client library and a port: call a grain, no credentials asked.</summary>
    private static async Task TryAddOwnerThroughOrleansAsync(int gatewayPort, string projectId, string userId)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(orleans => orleans
            .UseLocalhostClustering(gatewayPort, serviceId: "xray", clusterId: "xray")
            .UseConnectionRetryFilter((_, _) => Task.FromResult(false)));
        using var host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await host.StartAsync(timeout.Token);
            await host.Services.GetRequiredService<IClusterClient>().GetGrain<IMembershipGrain>(projectId).AddMember(userId, ProjectRole.Owner);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Refused: what the test wants. Whether it was is judged over HTTP, where it matters.
        }
        finally
        {
            try
            {
                await host.StopAsync(CancellationToken.None);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A client that never connected may fail to stop cleanly; nothing of it outlives the host.
            }
        }
    }
}
