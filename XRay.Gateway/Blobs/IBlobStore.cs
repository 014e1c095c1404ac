namespace XRay.Gateway.Blobs;

/// <summary>
/// Where data blobs live. Clients never stream blobs through the API: they get a short-lived signed URL
/// and talk to the store (S3, or the gateway's own signed routes for local files) directly.
/// Implementations: <see cref="Local.LocalBlobStore"/> (embedded default) and <see cref="S3.S3BlobStore"/>.
/// </summary>
public interface IBlobStore
{
    /// <summary>A URL that lets its holder PUT exactly <paramref name="size"/> bytes to <paramref name="key"/> until <paramref name="expiresAt"/>.</summary>
    ValueTask<PresignedRequest> PresignUploadAsync(BlobKey key, string contentType, long size, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    /// <summary>A URL that lets its holder GET <paramref name="key"/> until <paramref name="expiresAt"/>, served as <paramref name="contentType"/>.</summary>
    ValueTask<PresignedRequest> PresignDownloadAsync(BlobKey key, string contentType, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    /// <summary>The stored object's size, or <c>null</c> when nothing was uploaded (yet).</summary>
    ValueTask<long?> GetSizeAsync(BlobKey key, CancellationToken cancellationToken = default);
}

/// <summary>
/// A signed request a client performs itself. <see cref="Url"/> may be relative (local store without a
/// public base URL): resolve it against the gateway's address.
/// </summary>
/// <param name="Url">Where to send the request.</param>
/// <param name="Method"><c>PUT</c> or <c>GET</c>.</param>
/// <param name="Headers">Headers the client must send unchanged (they are part of the signature).</param>
/// <param name="ExpiresAt">When the URL stops working.</param>
public sealed record PresignedRequest(Uri Url, string Method, IReadOnlyDictionary<string, string> Headers, DateTimeOffset ExpiresAt);
