using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using XRay.Grains.Ingest.Embedded;
using XRay.Grains.Options;
using XRay.Testing;

namespace XRay.Gateway.Tests.Ingest;

/// <summary>Helpers for tests that look into a gateway's ingest log while it is stopped, and wait for traces to end.</summary>
internal static class StoppedGateway
{
    /// <summary>Opens the ingest log of a stopped gateway, as the gateway opens it (default options).</summary>
    public static EmbeddedIngestLog OpenLog(GatewayProcess gateway) => new(
        Microsoft.Extensions.Options.Options.Create(new EmbeddedIngestLogOptions { Directory = Path.Combine(gateway.DataDirectory, "ingest-log") }),
        NullLogger<EmbeddedIngestLog>.Instance,
        TimeProvider.System);

    /// <summary>Waits (up to 30 s) until GET of the trace answers with a status other than running; returns the trace.</summary>
    public static async Task<JsonElement> WaitUntilEndedAsync(HttpClient client, TestProject project, string traceId, CancellationToken ct)
    {
        var trace = await Poll.UntilAsync(
            () => client.GetIfFoundAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/traces/{traceId}", project.Owner.Token), ct),
            found => found?.GetProperty("status").GetString() is not (null or "running"),
            TimeSpan.FromSeconds(30),
            $"trace {traceId} to end",
            cancellationToken: ct);
        return trace!.Value;
    }
}
