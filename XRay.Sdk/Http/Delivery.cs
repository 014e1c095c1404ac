namespace XRay.Sdk.Http;

/// <summary>How the gateway (or blob store) answered one attempt.</summary>
internal enum DeliveryOutcome
{
    /// <summary>Accepted (2xx).</summary>
    Delivered,

    /// <summary>
    /// Refused for good (400, 401, 403, 404, 413, ...): sending it again would be refused again. An ingest refused for its
    /// size (<see cref="Delivery.TooLarge"/>) is sent again in smaller batches instead.
    /// </summary>
    Refused,

    /// <summary>Worth another try (408, 429, 5xx): the server was busy or broken, not the request.</summary>
    Transient,
}

/// <summary>The result of one HTTP attempt, as the retry policy and the uploaders need it.</summary>
internal sealed record Delivery(DeliveryOutcome Outcome, int Status, TimeSpan? RetryAfter = null, string? Detail = null)
{
    public IngestResponse? Ingest { get; init; }

    public PresignResponse? Presign { get; init; }

    /// <summary>Set when an ingest was refused because the batch was too large: split it rather than drop it.</summary>
    public BatchTooLarge? TooLarge { get; init; }
}
