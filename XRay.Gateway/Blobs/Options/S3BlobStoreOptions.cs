using Amazon.S3;
using XRay.Gateway.Blobs.S3;

namespace XRay.Gateway.Blobs.Options;

/// <summary>The S3 blob store (<c>Blobs:S3</c>).</summary>
public sealed class S3BlobStoreOptions
{
    /// <summary>The bucket; it must exist.</summary>
    public string Bucket { get; set; } = string.Empty;

    /// <summary>Prefix put before every object key, e.g. <c>xray/</c>.</summary>
    public string KeyPrefix { get; set; } = string.Empty;

    /// <summary>Endpoint of an S3-compatible store (MinIO, s3rver, ...). Empty means AWS itself, by region.</summary>
    public Uri? ServiceUrl { get; set; }

    /// <summary>Address objects as <c>{endpoint}/{bucket}/{key}</c> instead of <c>{bucket}.{endpoint}/{key}</c>.</summary>
    public bool ForcePathStyle { get; set; }

    /// <summary>The region requests are signed for.</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Access key id; with <see cref="SecretAccessKey"/>, overrides the default AWS credential chain.</summary>
    public string? AccessKeyId { get; set; }

    /// <summary>Secret access key paired with <see cref="AccessKeyId"/>.</summary>
    public string? SecretAccessKey { get; set; }

    /// <summary>Creates the S3 client from these options; tests and hosts may hand in their own.</summary>
    public Func<S3BlobStoreOptions, IAmazonS3> CreateClient { get; set; } = S3ClientFactory.Create;
}
