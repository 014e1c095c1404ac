namespace XRay.Grains.Storage;

/// <summary>Metadata of a data blob (the seed's <c>data</c> collection). The bytes live in the blob store.</summary>
public sealed record DataRecord(
    string DataId,
    string TraceId,
    string ProjectId,
    string ContentType,
    long Size,
    string? Sha256,
    DateTimeOffset CreatedAt);

/// <summary>A trace document. Times are Unix milliseconds; JSON-valued fields are raw JSON text.</summary>
public sealed record TraceRecord(
    string TraceId,
    string ProjectId,
    string? Name,
    string Status,
    long StartedAt,
    long? EndedAt,
    string? Metadata,
    string? Output,
    string? Error,
    int StepCount,
    long UpdatedAt);

/// <summary>A step document: indexed columns plus the step event's raw JSON.</summary>
public sealed record StepRecord(
    string StepId,
    string TraceId,
    int StepNumber,
    string Name,
    string? Kind,
    string Status,
    long StartedAt,
    long? EndedAt,
    string Document);

/// <summary>
/// What a batch of events says about a trace. Merged into the stored trace order-independently:
/// a terminal status wins over <c>running</c>, the earliest start wins, present fields overwrite absent ones.
/// </summary>
public sealed record TraceUpsert(
    string TraceId,
    string ProjectId,
    string? Name,
    string Status,
    long StartedAt,
    long? EndedAt,
    string? Metadata,
    string? Output,
    string? Error);

/// <summary>One transaction's worth of writes.</summary>
public sealed record TraceWriteBatch(IReadOnlyList<TraceUpsert> Traces, IReadOnlyList<StepRecord> Steps, IReadOnlyList<DataRecord> Data);

/// <summary>Filters and page position for listing a project's traces, newest first.</summary>
public sealed record TraceQuery(string? Status, string? Name, long? From, long? To, int Limit, TraceCursor? After);

/// <summary>Position after the last trace of a page: its start time and id (the sort key).</summary>
public sealed record TraceCursor(long StartedAt, string TraceId);
