namespace XRay.Gateway.Options;

/// <summary>The metrics endpoint (section <c>Metrics</c>, docs/metrics.md).</summary>
public sealed class MetricsOptions
{
    /// <summary>
    /// Collect metrics and serve them for Prometheus at <see cref="Path"/> (and push them over OTLP when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set). When false no meter provider is built and the path is not mapped.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Where Prometheus scrapes. Unauthenticated: keep it off public networks, or turn metrics off.</summary>
    public string Path { get; set; } = "/metrics";
}
