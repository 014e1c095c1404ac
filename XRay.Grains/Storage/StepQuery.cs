namespace XRay.Grains.Storage;

/// <summary>What a step filter compares: an indexed column of the step or a JSON path into its document.</summary>
public enum StepField
{
    Name,
    Kind,
    Status,
    StepNumber,
    StartedAt,
    DurationMs,
    TraceId,

    /// <summary>A path into the step document (<see cref="StepFilter.Path"/>), e.g. <c>output.kept</c>.</summary>
    Path,
}

/// <summary>How a step filter compares.</summary>
public enum StepFilterOp
{
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,

    /// <summary>The value is a substring (ordinal, case-sensitive) of a string field.</summary>
    Contains,

    /// <summary>The field is present (and, for columns, not null) when the value is <c>true</c>; absent when <c>false</c>.</summary>
    Exists,
}

/// <summary>
/// One validated condition on a step. <see cref="Value"/> is a <see cref="string"/>, <see cref="long"/>,
/// <see cref="double"/> or <see cref="bool"/> (for <see cref="StepField.StartedAt"/>: Unix milliseconds as a long).
/// <see cref="Path"/> holds the segments of a <see cref="StepField.Path"/> filter, each <c>[A-Za-z0-9_]{1,64}</c>;
/// stores rely on that validation (<see cref="StepPath.IsValid"/>) and still bind the path as a parameter.
/// </summary>
public sealed record StepFilter(StepField Field, StepFilterOp Op, object Value, IReadOnlyList<string>? Path = null);

/// <summary>ANDed filters and page position for querying a project's steps, newest first.</summary>
public sealed record StepQuery(IReadOnlyList<StepFilter> Filters, int Limit, StepCursor? After);

/// <summary>Position after the last step of a page: its start time and id (the sort key).</summary>
public sealed record StepCursor(long StartedAt, string StepId);
