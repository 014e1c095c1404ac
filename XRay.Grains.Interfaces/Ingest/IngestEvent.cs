namespace XRay.Grains.Ingest;

/// <summary>The kinds of events in the ingest log (see docs/events.md).</summary>
public enum IngestEventType
{
    Trace,
    Step,
    Error,
    Success,
    Failure,
    Data,
}

/// <summary>
/// One validated event, as the consumers route it to grains and as a compact ingest log record carries it
/// (docs/ingest-log.md, "Records"). JSON-valued fields are kept as raw JSON text: the store keeps them verbatim and
/// the query API writes them back without re-encoding. The record form is Orleans' version-tolerant serialization:
/// never reuse or renumber an <c>[Id]</c>, never reorder <see cref="IngestEventType"/>; a new field gets a new id.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record IngestEvent
{
    [Id(0)] public required string EventId { get; init; }

    [Id(1)] public required IngestEventType Type { get; init; }

    [Id(2)] public required string TraceId { get; init; }

    [Id(3)] public required string ProjectId { get; init; }

    /// <summary>When the event happened on the client, Unix milliseconds.</summary>
    [Id(4)] public required long Timestamp { get; init; }

    [Id(5)] public string? Name { get; init; }

    [Id(6)] public string? Kind { get; init; }

    [Id(7)] public string? StepId { get; init; }

    [Id(8)] public int StepNumber { get; init; }

    [Id(9)] public long? StartedAt { get; init; }

    [Id(10)] public long? EndedAt { get; init; }

    /// <summary>Raw JSON of <c>metadata</c> (trace events).</summary>
    [Id(11)] public string? Metadata { get; init; }

    /// <summary>Raw JSON of <c>output</c> (success events).</summary>
    [Id(12)] public string? Output { get; init; }

    /// <summary>Raw JSON of <c>error</c> (error and failure events).</summary>
    [Id(13)] public string? Error { get; init; }

    /// <summary>
    /// The step's query document (step and error events) as UTF-8 JSON, rendered once by the gateway (<c>StepDocument</c>)
    /// and kept as bytes to the store: it was a string, and so transcoded four times on its way. The wire form is the
    /// same as the string's (length-prefixed UTF-8), so records written as a string read as these bytes, and back.
    /// </summary>
    [Id(14)] public byte[]? Document { get; init; }

    [Id(15)] public string? DataId { get; init; }

    [Id(16)] public string? ContentType { get; init; }

    [Id(17)] public long Size { get; init; }

    [Id(18)] public string? Sha256 { get; init; }
}
