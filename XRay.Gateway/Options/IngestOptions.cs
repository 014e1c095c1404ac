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

    /// <summary>How long <c>GET /api/v1/traces/:id</c> waits for acknowledged events to be applied before answering.</summary>
    public TimeSpan ReadFenceTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
