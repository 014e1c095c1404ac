namespace XRay.Gateway.Blobs.Options;

/// <summary>Which blob store runs.</summary>
public enum BlobProvider
{
    /// <summary>Files under the data directory, served by the gateway's own signed routes (embedded default).</summary>
    Local,

    /// <summary>Any S3-compatible store, with real presigned URLs.</summary>
    S3,
}

/// <summary>The <c>Blobs</c> configuration section.</summary>
public sealed class BlobStoreOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "Blobs";

    /// <summary>Which store holds the blobs.</summary>
    public BlobProvider Provider { get; set; } = BlobProvider.Local;

    /// <summary>Largest blob accepted, checked at presign and again at upload. Default 100 MiB.</summary>
    public long MaxBlobBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>How long a signed upload or download URL stays valid.</summary>
    public TimeSpan UrlLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Settings of the local store.</summary>
    public LocalBlobStoreOptions Local { get; set; } = new();

    /// <summary>Settings of the S3 store.</summary>
    public S3BlobStoreOptions S3 { get; set; } = new();
}
