using System.Globalization;
using XRay.Sdk.Events;

namespace XRay.Sdk.Storage;

/// <summary>
/// Names of spool entries. What an uploader needs to know about an entry (how many events a batch
/// holds, which trace a blob belongs to) is in its name, so eviction can be counted without reading it.
/// </summary>
internal static class SpoolKey
{
    public const string BatchPrefix = "e_";
    public const string BlobPrefix = "b_";

    /// <summary><c>e_{uuid7}_{count}</c>: time-ordered, so a directory listing is oldest first.</summary>
    public static string Batch(int eventCount) =>
        string.Create(CultureInfo.InvariantCulture, $"{BatchPrefix}{Uuid7.New():N}_{eventCount}");

    /// <summary><c>b_{dataId}_{contentType code}_{traceId}</c>.</summary>
    public static string Blob(Guid dataId, BlobContent content, string traceId) =>
        $"{BlobPrefix}{dataId:N}_{(char)content}_{traceId}";

    public static bool TryParseBatch(string key, out int eventCount)
    {
        eventCount = 0;
        var last = key.LastIndexOf('_');
        return key.StartsWith(BatchPrefix, StringComparison.Ordinal)
            && last > BatchPrefix.Length
            && int.TryParse(key.AsSpan(last + 1), NumberStyles.None, CultureInfo.InvariantCulture, out eventCount);
    }

    public static bool TryParseBlob(string key, out Guid dataId, out BlobContent content, out string traceId)
    {
        dataId = default;
        content = default;
        traceId = "";
        var parts = key.Split('_', 4);
        if (parts.Length != 4 || parts[0] + "_" != BlobPrefix || parts[2].Length != 1
            || !Guid.TryParseExact(parts[1], "N", out dataId) || !Enum.IsDefined((BlobContent)parts[2][0]))
        {
            return false;
        }

        content = (BlobContent)parts[2][0];
        traceId = parts[3];
        return true;
    }
}

/// <summary>What a data blob holds; its code is part of the spool key.</summary>
internal enum BlobContent
{
    Json = 'j',
    Text = 't',
    Binary = 'o',
}

internal static class BlobContentExtensions
{
    public static string MediaType(this BlobContent content) => content switch
    {
        BlobContent.Json => "application/json",
        BlobContent.Text => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
}
