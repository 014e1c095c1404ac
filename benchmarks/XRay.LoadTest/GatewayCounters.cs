using XRay.Testing;

namespace XRay.LoadTest;

/// <summary>
/// The gateway's own ingest counters (<c>GET /metrics</c>, docs/metrics.md), read before the load and after the store
/// holds every ACKed event: what the server says it accepted, applied and wrote, to set beside what the tool counted.
/// </summary>
internal sealed record GatewayCounters(double Accepted, double Rejected, double Throttled, double Applied, double Committed, double StepRows, double Lag)
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
                m.Value("xray_ingest_consumer_committed_total"),
                m.Value("xray_store_rows_inserted_total", ("kind", "step")),
                m.Value("xray_ingest_consumer_lag"));
        }
        catch (HttpRequestException)
        {
            return null; // unreachable, or not 200 (metrics turned off)
        }
    }

    /// <summary>
    /// Reads the counters until the consumer has committed the offsets of <paramref name="acked"/> events since
    /// <paramref name="before"/>, or <paramref name="limit"/> passes (the consumer commits at most every 200 ms, and at
    /// once when the log is idle): then the counters show whether a crash now would redeliver anything.
    /// </summary>
    public static async Task<GatewayCounters?> ReadCommittedAsync(HttpClient http, GatewayCounters before, long acked, TimeSpan limit)
    {
        var (last, _) = await Poll.ReadUntilAsync(
            async () => (await ReadAsync(http))?.Since(before), now => now is null || now.Committed >= acked, limit, TimeSpan.FromMilliseconds(50));
        return last;
    }

    /// <summary>What the counters moved by between <paramref name="before"/> and this reading (the lag is this reading's).</summary>
    public GatewayCounters Since(GatewayCounters before) => new(
        Accepted - before.Accepted, Rejected - before.Rejected, Throttled - before.Throttled, Applied - before.Applied, Committed - before.Committed, StepRows - before.StepRows, Lag);
}
