namespace XRay.Gateway.Options;

/// <summary>Limits of <c>POST /api/v1/ingest</c> (section <c>Ingest</c>).</summary>
public sealed class IngestOptions
{
    /// <summary>Largest request body; larger gets 413.</summary>
    public long MaxBodyBytes { get; set; } = 5 * 1024 * 1024;

    /// <summary>Most events in one batch; more gets 400.</summary>
    public int MaxEventsPerBatch { get; set; } = 1000;

    /// <summary>Largest single event (its JSON); larger is rejected on its own.</summary>
    public int MaxEventBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// Backpressure: when the events acknowledged but not yet applied would take longer than this to apply at
    /// the consumer's recent rate, a new batch waits (<see cref="MaxAdmissionWait"/>), keeping time-to-queryable bounded.
    /// </summary>
    public TimeSpan MaxApplyLag { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a batch waits under backpressure for the consumer to catch up before it gets 429 with <c>Retry-After</c>.</summary>
    public TimeSpan MaxAdmissionWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A backlog below this many records never triggers backpressure (bursts are absorbed).</summary>
    public long MinBacklogRecords { get; set; } = 5000;

    /// <summary>How long <c>GET /api/v1/traces/:id</c> waits for acknowledged events to be applied before answering.</summary>
    public TimeSpan ReadFenceTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
