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
