using Amazon.Runtime;
using Amazon.S3;
using XRay.Gateway.Blobs.Options;

namespace XRay.Gateway.Blobs.S3;

/// <summary>Builds the default <see cref="IAmazonS3"/> client from <see cref="S3BlobStoreOptions"/>.</summary>
public static class S3ClientFactory
{
    public static IAmazonS3 Create(S3BlobStoreOptions options)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            AuthenticationRegion = options.Region,
            // Checksums only when an operation needs them: S3-compatible stores differ in what they accept.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (options.ServiceUrl is { } serviceUrl)
        {
            config.ServiceURL = serviceUrl.ToString();
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
        }

        return string.IsNullOrEmpty(options.AccessKeyId)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(options.AccessKeyId, options.SecretAccessKey), config);
    }
}
