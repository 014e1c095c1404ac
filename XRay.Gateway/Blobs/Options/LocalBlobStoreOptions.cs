namespace XRay.Gateway.Blobs.Options;

/// <summary>The local-file blob store (<c>Blobs:Local</c>).</summary>
public sealed class LocalBlobStoreOptions
{
    /// <summary>Where blob files live. Empty means <c>{Storage:DataDirectory}/blobs</c>.</summary>
    public string? Directory { get; set; }

    /// <summary>
    /// Base64 HMAC-SHA256 key (≥ 32 bytes) for upload and download URLs. Empty means derived from the
    /// token signing key, so it is as stable as that key without another secret to manage.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>
    /// Absolute base URL clients reach the gateway at (e.g. behind a proxy). Empty means URLs are made
    /// from the address of the presign request itself.
    /// </summary>
    public Uri? PublicBaseUrl { get; set; }
}
