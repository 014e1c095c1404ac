using XRay.Sdk.Storage;

namespace XRay.Sdk.Events;

/// <summary>What the wire calls an event's <c>type</c>, plus <see cref="Blob"/> for data that goes to presign instead.</summary>
internal enum EventType : byte
{
    Trace,
    Step,
    Error,
    Success,
    Failure,
    Blob,
}

/// <summary>
/// An event as the caller recorded it, not yet serialized: the one object the hot path allocates.
/// User objects are held by reference and serialized later, on a worker.
/// </summary>
internal sealed class PendingEvent
{
    public EventType Type;
    public required string TraceId;
    public DateTime Timestamp;
    public int StepNumber;
    public string? Name;
    public string? Kind;
    public DateTime StartedAt;
    public DateTime EndedAt;
    public object? Input;
    public object? Output;
    public object? Candidates;
    public object? Filters;
    public string? Reasoning;
    public object? Metadata;
    public IReadOnlyList<Guid>? DataIds;
    public Exception? Exception;
    public string? ErrorMessage;
    public Guid DataId;
    public BlobContent Content;
}
