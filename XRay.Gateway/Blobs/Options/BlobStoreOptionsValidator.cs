using Microsoft.Extensions.Options;

namespace XRay.Gateway.Blobs.Options;

/// <summary>Validates <see cref="BlobStoreOptions"/> at start-up.</summary>
public sealed class BlobStoreOptionsValidator : IValidateOptions<BlobStoreOptions>
{
    private const string Section = BlobStoreOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, BlobStoreOptions options)
    {
        var failures = new List<string>();
        if (!Enum.IsDefined(options.Provider))
        {
            failures.Add($"{Section}:{nameof(BlobStoreOptions.Provider)} must be Local or S3.");
        }

        if (options.MaxBlobBytes < 1)
        {
            failures.Add($"{Section}:{nameof(BlobStoreOptions.MaxBlobBytes)} must be at least 1.");
        }

        if (options.UrlLifetime < TimeSpan.FromSeconds(10) || options.UrlLifetime > TimeSpan.FromDays(7))
        {
            // S3 refuses presigned URLs valid for longer than 7 days.
            failures.Add($"{Section}:{nameof(BlobStoreOptions.UrlLifetime)} must be between 00:00:10 and 7.00:00:00.");
        }

        if (options.Provider == BlobProvider.Local)
        {
            ValidateLocal(options.Local, failures);
        }
        else if (options.Provider == BlobProvider.S3)
        {
            ValidateS3(options.S3, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateLocal(LocalBlobStoreOptions local, List<string> failures)
    {
        const string prefix = $"{Section}:{nameof(BlobStoreOptions.Local)}";
        if (string.IsNullOrWhiteSpace(local.Directory))
        {
            failures.Add($"{prefix}:{nameof(LocalBlobStoreOptions.Directory)} must name a directory.");
        }

        if (!string.IsNullOrEmpty(local.SigningKey))
        {
            var bytes = new byte[local.SigningKey.Length];
            if (!Convert.TryFromBase64String(local.SigningKey, bytes, out var length) || length < 32)
            {
                failures.Add($"{prefix}:{nameof(LocalBlobStoreOptions.SigningKey)} must be base64 of at least 32 bytes (generate one with `openssl rand -base64 32`).");
            }
        }

        if (local.PublicBaseUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)))
        {
            failures.Add($"{prefix}:{nameof(LocalBlobStoreOptions.PublicBaseUrl)} must be an absolute http or https URL.");
        }
    }

    private static void ValidateS3(S3BlobStoreOptions s3, List<string> failures)
    {
        const string prefix = $"{Section}:{nameof(BlobStoreOptions.S3)}";
        if (string.IsNullOrWhiteSpace(s3.Bucket))
        {
            failures.Add($"{prefix}:{nameof(S3BlobStoreOptions.Bucket)} must name a bucket.");
        }

        if (s3.KeyPrefix.StartsWith('/'))
        {
            failures.Add($"{prefix}:{nameof(S3BlobStoreOptions.KeyPrefix)} must not start with '/'.");
        }

        if (s3.ServiceUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)))
        {
            failures.Add($"{prefix}:{nameof(S3BlobStoreOptions.ServiceUrl)} must be an absolute http or https URL.");
        }

        if (string.IsNullOrWhiteSpace(s3.Region))
        {
            failures.Add($"{prefix}:{nameof(S3BlobStoreOptions.Region)} must name a region (e.g. us-east-1).");
        }

        if (string.IsNullOrEmpty(s3.AccessKeyId) != string.IsNullOrEmpty(s3.SecretAccessKey))
        {
            failures.Add($"{prefix}:{nameof(S3BlobStoreOptions.AccessKeyId)} and {nameof(S3BlobStoreOptions.SecretAccessKey)} must be set together.");
        }
    }
}
