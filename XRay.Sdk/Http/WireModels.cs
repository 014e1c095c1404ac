using System.Text.Json;
using System.Text.Json.Serialization;

namespace XRay.Sdk.Http;

/// <summary>The <c>202</c> body of <c>POST /api/v1/ingest</c>.</summary>
internal sealed record IngestResponse(int? Accepted, IReadOnlyList<IngestRejection>? Rejected);

/// <summary>One event the gateway would not accept, and why.</summary>
internal sealed record IngestRejection(int Index, string? EventId, string? Reason);

/// <summary>The body of <c>POST /api/v1/presign</c>.</summary>
internal sealed record PresignRequest(string TraceId, string DataId, string ContentType, long Size, string? Sha256);

/// <summary>Where and how to upload a blob.</summary>
internal sealed record PresignResponse(string Url, string? Method, IReadOnlyDictionary<string, string>? Headers, DateTimeOffset? ExpiresAt);

/// <summary>The body of <c>GET /api/v1/auth/key</c>.</summary>
internal sealed record KeyInfo(string? ProjectId, string? KeyId);

/// <summary>Source-generated JSON for the SDK's own wire types (no reflection on the SDK's side).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(IngestResponse))]
[JsonSerializable(typeof(PresignRequest))]
[JsonSerializable(typeof(PresignResponse))]
[JsonSerializable(typeof(KeyInfo))]
internal sealed partial class WireJson : JsonSerializerContext;
