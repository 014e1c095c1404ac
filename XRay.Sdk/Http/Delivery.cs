namespace XRay.Sdk.Http;

/// <summary>How the gateway (or blob store) answered one attempt.</summary>
internal enum DeliveryOutcome
{
    /// <summary>Accepted (2xx).</summary>
    Delivered,

    /// <summary>
    /// Refused for good (400, 401, 403, 404, 413, ...): sending it again would be refused again. An ingest refused for its
    /// size (<see cref="Delivery.TooLarge"/>) is sent again in smaller batches instead; an upload the blob store refuses
    /// is <see cref="UploadRefused"/>.
    /// </summary>
    Refused,

    /// <summary>
    /// The blob store refused an upload to a presigned URL (403, 400): the URL may have expired or the clocks of the
    /// gateway and the store disagree, which a fresh URL may fix. Presign and upload are one attempt, so it is retried
    /// with a fresh URL, at most <see cref="Uploading.DeliveryPolicy.MaxUploadRefusals"/> times in all, before it is final.
    /// </summary>
    UploadRefused,

    /// <summary>
    /// The server or what stands before it is unavailable or overloaded (408, 429, 502, 503, 504, a CDN's 520-527, 530, 598, 599; a timeout or a network
    /// error is an exception instead): retried until delivered, since it says nothing about the entry.
    /// </summary>
    Transient,

    /// <summary>
    /// The server failed on this request (500, 501, 505, ..., or a success it answered with a body the SDK cannot read):
    /// perhaps a passing fault, perhaps a bug this entry triggers every time, so it is retried only a few times
    /// (<see cref="XRayOptions.MaxServerErrorAttempts"/>) before the entry is given up, lest it hold back every entry behind it.
    /// </summary>
    ServerError,
}

/// <summary>The result of one HTTP attempt, as the retry policy and the uploaders need it.</summary>
internal sealed record Delivery(DeliveryOutcome Outcome, int Status, TimeSpan? RetryAfter = null, string? Detail = null)
{
    public IngestResponse? Ingest { get; init; }

    public PresignResponse? Presign { get; init; }

    /// <summary>Set when an ingest was refused because the batch was too large: split it rather than drop it.</summary>
    public BatchTooLarge? TooLarge { get; init; }
}
