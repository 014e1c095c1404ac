using System.Diagnostics.Metrics;
using XRay.Grains.Ingest;

namespace XRay.Gateway.Hosting;

/// <summary>
/// The gateway's side of ingest as metrics (meter <see cref="MeterName"/>, docs/metrics.md): what the ingest endpoint
/// acknowledged, refused and rejected, how long the durable append took, and the blob uploads it signed. Recorded once
/// per request, never per event; tags take a few fixed values and never name a project, key or trace.
/// </summary>
public sealed class GatewayMetrics
{
    /// <summary>The meter every instrument of this class belongs to.</summary>
    public const string MeterName = "XRay.Gateway";

    private static readonly KeyValuePair<string, object?> Accepted = new("outcome", "accepted");
    private static readonly KeyValuePair<string, object?> Refused = new("outcome", "refused");
    private static readonly KeyValuePair<string, object?> Throttled = new("outcome", "throttled");
    private static readonly KeyValuePair<string, object?> Failed = new("outcome", "failed");
    private static readonly KeyValuePair<string, object?> Rejected = new("outcome", "rejected");

    private readonly Counter<long> _requests;
    private readonly Counter<long> _events;
    private readonly Histogram<double> _appendDuration;
    private readonly Counter<long> _presigned;

    public GatewayMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _requests = meter.CreateCounter<long>("xray.ingest.requests", "{request}",
            "Ingest requests the endpoint answered, by outcome: accepted (202), refused (4xx), throttled (429, the consumer is behind), failed (503, the log could not append).");
        _events = meter.CreateCounter<long>("xray.ingest.events", "{event}",
            "Events of accepted ingest requests, by outcome: accepted (durably appended) or rejected (invalid, with its reason in the 202).");
        _appendDuration = meter.CreateHistogram("xray.ingest.append.duration", "s",
            "Duration of the durable append of one ingest request's events to the ingest log (the log phase of Server-Timing).",
            advice: ConsumerMetrics.SecondsBuckets);
        _presigned = meter.CreateCounter<long>("xray.blobs.presigned", "{blob}", "Blob uploads signed by POST /api/v1/presign.");

        // Every series starts at 0 on the first scrape, so rate() and increase() count the first requests too (a series
        // that first appears with a value hides that value from them).
        foreach (var outcome in (KeyValuePair<string, object?>[])[Accepted, Refused, Throttled, Failed])
        {
            _requests.Add(0, outcome);
        }

        _events.Add(0, Accepted);
        _events.Add(0, Rejected);
        _presigned.Add(0);
    }

    /// <summary>An ingest request was refused (4xx): its body was malformed, too large or not a valid batch.</summary>
    public void IngestRefused() => _requests.Add(1, Refused);

    /// <summary>An ingest request was turned away with 429 because the consumer is behind.</summary>
    public void IngestThrottled() => _requests.Add(1, Throttled);

    /// <summary>An ingest request got 503: the log could not append its events.</summary>
    public void IngestFailed() => _requests.Add(1, Failed);

    /// <summary>A 202 acknowledged <paramref name="accepted"/> events and rejected <paramref name="rejected"/>.</summary>
    public void IngestAccepted(int accepted, int rejected)
    {
        _requests.Add(1, Accepted);
        if (accepted > 0)
        {
            _events.Add(accepted, Accepted);
        }

        if (rejected > 0)
        {
            _events.Add(rejected, Rejected);
        }
    }

    /// <summary>One request's events were appended durably in <paramref name="duration"/>.</summary>
    public void Appended(TimeSpan duration) => _appendDuration.Record(duration.TotalSeconds);

    /// <summary>An upload URL was signed.</summary>
    public void Presigned() => _presigned.Add(1);
}
