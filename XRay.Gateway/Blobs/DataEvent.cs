using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace XRay.Gateway.Blobs;

/// <summary>
/// The <c>data</c> event (docs/events.md) that carries a blob's metadata through the ingest log to the
/// store's <c>data</c> collection. Written by the presign endpoint, never accepted from clients.
/// </summary>
public sealed record DataEvent(string EventId, string TraceId, string Timestamp, string DataId, string ContentType, long Size, string? Sha256)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Always <c>data</c>.</summary>
    public string Type => "data";

    /// <summary>A new event for a blob presigned at <paramref name="now"/>.</summary>
    public static DataEvent For(BlobKey key, string contentType, long size, string? sha256, DateTimeOffset now) =>
        new(Guid.CreateVersion7(now).ToString("D"), key.TraceId, now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            key.DataId, contentType, size, sha256);

    /// <summary>The event as one ingest log record (UTF-8 JSON).</summary>
    public ReadOnlyMemory<byte> ToRecord() => JsonSerializer.SerializeToUtf8Bytes(this, Json);
}
