namespace XRay.Grains.Ids;

/// <summary>Trace ids are <c>{projectId}-{uuid}</c>: the project is readable from the id itself.</summary>
public static class TraceIds
{
    /// <summary>Length of a trace id: 24 hex digits, a dash, and a 36-character uuid.</summary>
    public const int Length = 24 + 1 + 36;

    /// <summary>Splits a trace id; returns <c>false</c> unless it is exactly <c>{objectId}-{uuid}</c>.</summary>
    public static bool TryParse(string? traceId, out string projectId)
    {
        projectId = string.Empty;
        if (traceId is null || traceId.Length != Length || traceId[24] != '-')
        {
            return false;
        }

        var span = traceId.AsSpan();
        if (!ObjectIds.IsValid(span[..24]) || !IsUuid(span[25..]))
        {
            return false;
        }

        projectId = traceId[..24];
        return true;
    }

    /// <summary>True when <paramref name="value"/> is a uuid in its canonical 8-4-4-4-12 form.</summary>
    public static bool IsUuid(ReadOnlySpan<char> value) =>
        value.Length == 36 && value[8] == '-' && value[13] == '-' && value[18] == '-' && value[23] == '-'
        && Guid.TryParseExact(value, "D", out _);

    /// <summary>Creates a trace id for a project with a time-ordered uuid.</summary>
    public static string New(string projectId) => $"{projectId}-{Guid.CreateVersion7():D}";
}
