namespace XRay.Gateway.Problems;

/// <summary>
/// What a client may act on in a problem document without reading its detail: a stable <c>type</c> (RFC 9457 §3.1.1)
/// for the problems that need one, and the names of extension members holding the limit that was passed. Problems
/// without one of these types keep the default type of their status. docs/events.md lists them.
/// </summary>
public static class ProblemTypes
{
    /// <summary>A batch with more events than <c>Ingest:MaxEventsPerBatch</c> (400); <see cref="MaxEventsPerBatch"/> holds the limit.</summary>
    public const string TooManyEvents = "https://xray.local/problems/too-many-events";

    /// <summary>Extension member of a <see cref="TooManyEvents"/> problem: the most events a batch may hold.</summary>
    public const string MaxEventsPerBatch = "maxEventsPerBatch";

    /// <summary>Extension member of a <c>413</c> for a body over the endpoint's limit: the most bytes a body may hold.</summary>
    public const string MaxBodyBytes = "maxBodyBytes";
}
