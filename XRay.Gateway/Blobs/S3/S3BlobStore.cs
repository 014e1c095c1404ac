using System.Globalization;
using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;
using XRay.Gateway.Blobs.Options;

namespace XRay.Gateway.Blobs.S3;

/// <summary>
/// Blobs in an S3 bucket. Upload and download URLs are SigV4 presigned, so S3 itself refuses a tampered,
/// expired, wrong-method or other-object request. <c>Content-Length</c> and <c>Content-Type</c> are
/// signed headers of an upload URL, so a body of another size is refused too.
/// </summary>
public sealed class S3BlobStore : IBlobStore, IDisposable
{
    private readonly S3BlobStoreOptions _options;
    private readonly IAmazonS3 _client;
    private readonly Protocol _protocol;

    public S3BlobStore(IOptions<BlobStoreOptions> options)
    {
        _options = options.Value.S3;
        _client = _options.CreateClient(_options);
        // A presigned URL carries its own scheme; against an http endpoint (a local test store) it must be http.
        _protocol = _options.ServiceUrl?.Scheme == Uri.UriSchemeHttp ? Protocol.HTTP : Protocol.HTTPS;
    }

    public async ValueTask<PresignedRequest> PresignUploadAsync(BlobKey key, string contentType, long size, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        var request = NewRequest(key, HttpVerb.PUT, expiresAt);
        request.ContentType = contentType;
        request.Headers.ContentLength = size;
        var url = await _client.GetPreSignedURLAsync(request).ConfigureAwait(false);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["content-type"] = contentType,
            ["content-length"] = size.ToString(CultureInfo.InvariantCulture),
        };
        return new PresignedRequest(new Uri(url), "PUT", headers, expiresAt);
    }

    public async ValueTask<PresignedRequest> PresignDownloadAsync(BlobKey key, string contentType, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        var request = NewRequest(key, HttpVerb.GET, expiresAt);
        request.ResponseHeaderOverrides.ContentType = contentType;
        request.ResponseHeaderOverrides.ContentDisposition = "attachment"; // data, never a page rendered inline
        var url = await _client.GetPreSignedURLAsync(request).ConfigureAwait(false);
        return new PresignedRequest(new Uri(url), "GET", new Dictionary<string, string>(), expiresAt);
    }

    public async ValueTask<long?> GetSizeAsync(BlobKey key, CancellationToken cancellationToken = default)
    {
        try
        {
            var metadata = await _client.GetObjectMetadataAsync(_options.Bucket, ObjectKey(key), cancellationToken).ConfigureAwait(false);
            return metadata.ContentLength;
        }
        // Without s3:ListBucket, S3 answers 403 rather than 404 for a missing object.
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
        {
            return null;
        }
    }

    public void Dispose() => _client.Dispose();

    private GetPreSignedUrlRequest NewRequest(BlobKey key, HttpVerb verb, DateTimeOffset expiresAt) => new()
    {
        BucketName = _options.Bucket,
        Key = ObjectKey(key),
        Verb = verb,
        Expires = expiresAt.UtcDateTime,
        Protocol = _protocol,
    };

    private string ObjectKey(BlobKey key) => _options.KeyPrefix + key.Value;
}
