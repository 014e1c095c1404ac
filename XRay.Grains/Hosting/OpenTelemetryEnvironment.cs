using Microsoft.Extensions.Configuration;

namespace XRay.Grains.Hosting;

/// <summary>What the standard OpenTelemetry environment variables (read as configuration) say, for the gateway's and the silo's hosts.</summary>
public static class OpenTelemetryEnvironment
{
    /// <summary>
    /// Whether the operator named the service (<c>OTEL_SERVICE_NAME</c>, or a <c>service.name</c> in
    /// <c>OTEL_RESOURCE_ATTRIBUTES</c>): then the host leaves the name to them instead of giving its own.
    /// </summary>
    public static bool NamesService(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["OTEL_SERVICE_NAME"])
        || (configuration["OTEL_RESOURCE_ATTRIBUTES"]?.Contains("service.name=", StringComparison.Ordinal) ?? false);
}
