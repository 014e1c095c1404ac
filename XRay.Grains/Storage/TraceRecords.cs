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

/// <summary>
/// A step: its indexed columns, and its query document as UTF-8 JSON (<c>StepDocument</c>), which the query API copies
/// into its answers as it is. (The document is an array: records compare it by reference, not by content.)
/// </summary>
public sealed record StepRecord(
    string StepId,
    string TraceId,
    int StepNumber,
    string Name,
    string? Kind,
    string Status,
    long StartedAt,
    long? EndedAt,
    byte[] Document);

/// <summary>
/// What a batch of events says about a trace: its earliest start, the <c>trace</c> event that names it (name and
/// metadata, at <see cref="NamedAt"/>) and the <c>success</c> or <c>failure</c> that ends it (status, end, output and
/// error). Stores merge upserts with the rules of <see cref="Merge"/>, so the stored trace is the same whatever order
/// and batching the events arrive in: a retried write that lands after a later one changes nothing.
/// </summary>
/// <param name="NamedAt">The time of the <c>trace</c> event whose name and metadata this carries; null without one.</param>
public sealed record TraceUpsert(
    string TraceId,
    string ProjectId,
    string? Name,
    string Status,
    long StartedAt,
    long? EndedAt,
    string? Metadata,
    string? Output,
    string? Error,
    long? NamedAt)
{
    /// <summary>
    /// The merge every store implements, here as the reference the fold uses and tests compare against. Commutative
    /// and associative: the earliest start wins; name and metadata come together from the latest <c>trace</c> event
    /// (by time, then name, then metadata); status, end, output and error together from the latest end (by time,
    /// <c>failure</c> before <c>success</c> in a tie, then output, then error); a <c>running</c> upsert never ends a
    /// trace. Text compares in UTF-8 byte order, as SQLite and MongoDB compare it. Holds for upserts as the fold makes
    /// them: metadata only with a name, output and error only with an end.
    /// </summary>
    public static TraceUpsert Merge(TraceUpsert stored, TraceUpsert incoming)
    {
        var naming = NamesLater(incoming, stored) ? incoming : stored;
        var ending = EndsLater(incoming, stored) ? incoming : stored;
        return stored with
        {
            Name = naming.Name,
            Metadata = naming.Metadata,
            NamedAt = naming.NamedAt,
            Status = ending.Status,
            EndedAt = ending.EndedAt,
            Output = ending.Output,
            Error = ending.Error,
            StartedAt = Math.Min(stored.StartedAt, incoming.StartedAt),
        };
    }

    /// <summary>Whether <paramref name="x"/>'s name and metadata replace <paramref name="y"/>'s.</summary>
    public static bool NamesLater(TraceUpsert x, TraceUpsert y)
    {
        if (x.Name is null)
        {
            return false;
        }

        if (y.Name is null)
        {
            return true;
        }

        var order = (x.NamedAt ?? long.MinValue).CompareTo(y.NamedAt ?? long.MinValue);
        order = order != 0 ? order : Utf8Order(x.Name, y.Name);
        return (order != 0 ? order : Utf8Order(x.Metadata, y.Metadata)) > 0;
    }

    /// <summary>Whether <paramref name="x"/>'s end (status, end time, output, error) replaces <paramref name="y"/>'s.</summary>
    public static bool EndsLater(TraceUpsert x, TraceUpsert y)
    {
        if (x.Status == "running")
        {
            return false;
        }

        if (y.Status == "running")
        {
            return true;
        }

        var order = (x.EndedAt ?? long.MinValue).CompareTo(y.EndedAt ?? long.MinValue);
        order = order != 0 ? order : (x.Status == "failure").CompareTo(y.Status == "failure");
        order = order != 0 ? order : Utf8Order(x.Output, y.Output);
        return (order != 0 ? order : Utf8Order(x.Error, y.Error)) > 0;
    }

    /// <summary>Ordinal order of the UTF-8 bytes (code point order; UTF-16 ordinal differs past U+D7FF); null as empty.</summary>
    private static int Utf8Order(string? x, string? y)
    {
        if (string.Equals(x, y, StringComparison.Ordinal))
        {
            return 0;
        }

        return System.Text.Encoding.UTF8.GetBytes(x ?? "").AsSpan().SequenceCompareTo(System.Text.Encoding.UTF8.GetBytes(y ?? ""));
    }
}

/// <summary>One transaction's worth of writes.</summary>
public sealed record TraceWriteBatch(IReadOnlyList<TraceUpsert> Traces, IReadOnlyList<StepRecord> Steps, IReadOnlyList<DataRecord> Data);

/// <summary>The steps and data rows a write newly inserted (rows whose id existed are not counted).</summary>
public readonly record struct TraceWriteCounts(int Steps, int Data);

/// <summary>Filters and page position for listing a project's traces, newest first.</summary>
public sealed record TraceQuery(string? Status, string? Name, long? From, long? To, int Limit, TraceCursor? After);

/// <summary>Position after the last trace of a page: its start time and id (the sort key).</summary>
public sealed record TraceCursor(long StartedAt, string TraceId);
