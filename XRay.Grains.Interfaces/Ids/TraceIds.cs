namespace XRay.Grains.Ids;

/// <summary>Trace ids are <c>{projectId}-{uuid}</c>: the project is readable from the id itself.</summary>
public static class TraceIds
{
    /// <summary>Length of a trace id: 24 hex digits, a dash, and a 36-character uuid.</summary>
    public const int Length = 24 + 1 + 36;

    /// <summary>Splits a trace id; returns <c>false</c> unless it is exactly <c>{objectId}-{uuid}</c> (<paramref name="legacy"/>: see <see cref="IsUuid(ReadOnlySpan{char}, bool)"/>).</summary>
    public static bool TryParse(string? traceId, out string projectId, bool legacy = false)
    {
        projectId = string.Empty;
        if (traceId is null || traceId.Length != Length || traceId[24] != '-')
        {
            return false;
        }

        var span = traceId.AsSpan();
        if (!ObjectIds.IsValid(span[..24]) || !IsUuid(span[25..], legacy))
        {
            return false;
        }

        projectId = traceId[..24];
        return true;
    }

    /// <summary>
    /// True when <paramref name="value"/> is a uuid in its canonical 8-4-4-4-12 form: hex digits (either case) and dashes
    /// only. <see cref="Guid.TryParseExact(ReadOnlySpan{char}, ReadOnlySpan{char}, out Guid)"/> with "D" would also take
    /// groups spelled with <c>+</c> or <c>0x</c>, which the event contract's JSON Schema refuses.
    /// </summary>
    /// <param name="legacy">
    /// Also the forms accepted before (any that <see cref="Guid.TryParseExact(ReadOnlySpan{char}, ReadOnlySpan{char}, out Guid)"/>
    /// reads as "D"): for records an earlier version acknowledged.
    /// </param>
    public static bool IsUuid(ReadOnlySpan<char> value, bool legacy = false) =>
        value.Length == 36 && value[8] == '-' && value[13] == '-' && value[18] == '-' && value[23] == '-'
        && (legacy ? Guid.TryParseExact(value, "D", out _) : !value.ContainsAnyExcept(HexDigitsAndDash) && value.Count('-') == 4);

    private static readonly System.Buffers.SearchValues<char> HexDigitsAndDash = System.Buffers.SearchValues.Create("-0123456789abcdefABCDEF");

    /// <summary>Creates a trace id for a project with a time-ordered uuid.</summary>
    public static string New(string projectId) => $"{projectId}-{Guid.CreateVersion7():D}";
}
