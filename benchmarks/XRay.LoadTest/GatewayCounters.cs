using XRay.Testing;

namespace XRay.LoadTest;

/// <summary>
/// The gateway's own ingest counters (<c>GET /metrics</c>, docs/metrics.md), read before the load and after the store
/// holds every ACKed event: what the server says it accepted, applied and wrote, to set beside what the tool counted.
/// </summary>
internal sealed record GatewayCounters(double Accepted, double Rejected, double Throttled, double Applied, double StepRows, double Lag)
{
    /// <summary>The counters now; null when the gateway serves no metrics (turned off, or an older build).</summary>
    public static async Task<GatewayCounters?> ReadAsync(HttpClient http)
    {
        try
        {
            var m = await PrometheusText.ScrapeAsync(http);
            return new GatewayCounters(
                m.Value("xray_ingest_events_total", ("outcome", "accepted")),
                m.Value("xray_ingest_events_total", ("outcome", "rejected")),
                m.Value("xray_ingest_requests_total", ("outcome", "throttled")),
                m.Value("xray_ingest_consumer_events_total"),
                m.Value("xray_store_rows_inserted_total", ("kind", "step")),
                m.Value("xray_ingest_consumer_lag"));
        }
        catch (HttpRequestException)
        {
            return null; // unreachable, or not 200 (metrics turned off)
        }
    }

    /// <summary>What the counters moved by between <paramref name="before"/> and this reading (the lag is this reading's).</summary>
    public GatewayCounters Since(GatewayCounters before) => new(
        Accepted - before.Accepted, Rejected - before.Rejected, Throttled - before.Throttled, Applied - before.Applied, StepRows - before.StepRows, Lag);
}
