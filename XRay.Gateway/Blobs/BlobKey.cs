using System.Diagnostics.CodeAnalysis;
using XRay.Grains.Ids;

namespace XRay.Gateway.Blobs;

/// <summary>
/// The object key of a blob: <c>{projectId}/{traceId}/{dataId}</c>. Only keys of exactly this shape
/// exist, which is what keeps the local store's paths inside its directory.
/// </summary>
public readonly record struct BlobKey
{
    private BlobKey(string projectId, string traceId, string dataId)
    {
        ProjectId = projectId;
        TraceId = traceId;
        DataId = dataId;
    }

    public string ProjectId { get; }

    public string TraceId { get; }

    public string DataId { get; }

    /// <summary>The key as a relative path with forward slashes.</summary>
    public string Value => $"{ProjectId}/{TraceId}/{DataId}";

    /// <summary>Builds the key of a blob; <c>false</c> unless the trace id is well-formed and the data id is a canonical uuid.</summary>
    /// <param name="legacy">
    /// Also the uuid forms earlier versions accepted (<see cref="TraceIds.IsUuid(ReadOnlySpan{char}, bool)"/>): for blobs
    /// that may already exist. New blobs take the strict form, like ingest.
    /// </param>
    public static bool TryCreate(string? traceId, string? dataId, out BlobKey key, bool legacy = false)
    {
        key = default;
        if (!TraceIds.TryParse(traceId, out var projectId, legacy) || dataId is null || !TraceIds.IsUuid(dataId, legacy))
        {
            return false;
        }

        // The trace id stays as the SDK wrote it, as in the trace store; data ids are lowercased there, so here too.
        key = new BlobKey(projectId, traceId!, dataId.ToLowerInvariant());
        return true;
    }

    /// <summary>Parses <see cref="Value"/> back, e.g. from a URL path; any uuid form a key was ever made with.</summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out BlobKey? key)
    {
        key = null;
        var parts = value?.Split('/');
        if (parts is not { Length: 3 } || !TryCreate(parts[1], parts[2], out var parsed, legacy: true) || parsed.ProjectId != parts[0] || parsed.Value != value)
        {
            return false;
        }

        key = parsed;
        return true;
    }

    public override string ToString() => Value;
}
