namespace XRay.Grains.Storage;

/// <summary>
/// The rules of a JSON path into a step document. Segments are restricted to <c>[A-Za-z0-9_]</c> so a path
/// needs no quoting in any store's path syntax and can never reach outside the step's payload fields.
/// </summary>
public static class StepPath
{
    /// <summary>Most segments in a path, the payload field included.</summary>
    public const int MaxSegments = 6;

    /// <summary>Longest segment.</summary>
    public const int MaxSegmentLength = 64;

    /// <summary>The payload fields of a step document a path may start with (StepDocument's payload).</summary>
    public static readonly IReadOnlyList<string> Roots = ["input", "output", "candidates", "filters", "reasoning", "metadata", "dataIds", "error"];

    /// <summary>Whether the segments form an allowed path: a known root, at most <see cref="MaxSegments"/> valid segments.</summary>
    public static bool IsValid(IReadOnlyList<string> segments) =>
        segments.Count is > 0 and <= MaxSegments && Roots.Contains(segments[0]) && segments.All(IsSegment);

    /// <summary>The path in SQLite/MySQL JSON path syntax (<c>$.a.b</c>); only for paths that passed <see cref="IsValid"/>.</summary>
    public static string ToJsonPath(IReadOnlyList<string> segments) =>
        IsValid(segments) ? "$." + string.Join('.', segments) : throw new ArgumentException("The path is not a valid step path.", nameof(segments));

    private static bool IsSegment(string segment) =>
        segment.Length is > 0 and <= MaxSegmentLength && segment.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_');
}
