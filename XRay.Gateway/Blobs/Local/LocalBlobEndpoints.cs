using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using XRay.Gateway.Blobs.Options;

namespace XRay.Gateway.Blobs.Local;

/// <summary>
/// The local store's upload and download routes: <c>PUT/GET /blobs/{projectId}/{traceId}/{dataId}?exp=..&amp;max=..&amp;ct=..&amp;sig=..</c>.
/// They take no credentials: the signature is the credential, and only URLs this gateway signed pass.
/// Refusals mirror S3: 403 for a bad, expired or misapplied signature, 413 for a body larger than signed.
/// </summary>
public static partial class LocalBlobEndpoints
{
    public static IEndpointRouteBuilder MapLocalBlobRoutes(this IEndpointRouteBuilder app)
    {
        var routes = app.MapGroup("/" + LocalBlobStore.RoutePrefix).WithTags("Blobs").AllowAnonymous();
        routes.MapPut("/{**key}", UploadAsync).WithName("UploadLocalBlob").WithSummary("Upload a blob with a URL from POST /api/v1/presign.");
        routes.MapGet("/{**key}", Download).WithName("DownloadLocalBlob").WithSummary("Download a blob with a URL from GET /api/v1/traces/{traceId}/data/{dataId}.");
        return app;
    }

    public static async Task<Results<Created, ProblemHttpResult>> UploadAsync(
        string key, HttpContext context, LocalBlobStore store, IOptions<BlobStoreOptions> options, TimeProvider time, ILoggerFactory loggers)
    {
        var query = context.Request.Query;
        long? size = long.TryParse(query["max"], NumberStyles.None, CultureInfo.InvariantCulture, out var max) ? max : null;
        if (Check("PUT", key, size, store.Signer, query, time) is not { } blob)
        {
            return Forbidden();
        }

        if (size is not >= 0 || size > options.Value.MaxBlobBytes)
        {
            return TooLarge(options.Value.MaxBlobBytes); // signed before the limit was lowered
        }

        // Content-Type is part of the signature, as with S3, so the blob is served as what was declared.
        if (!string.Equals(context.Request.ContentType, query["ct"], StringComparison.Ordinal))
        {
            return Forbidden();
        }

        var declared = context.Request.ContentLength;
        if (declared > size)
        {
            return TooLarge(size.Value);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = size + 1; // our own count refuses the extra byte; this lifts the server's global default
        }

        var outcome = await store.WriteAsync(blob, context.Request.Body, size.Value, context.RequestAborted);
        Log.Upload(loggers.CreateLogger(typeof(LocalBlobEndpoints)), blob.Value, size.Value, outcome);
        return outcome switch
        {
            UploadOutcome.Stored => TypedResults.Created(),
            UploadOutcome.TooLarge => TooLarge(size.Value),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Incomplete upload", detail: $"The body must be exactly {size} bytes, as signed."),
        };
    }

    public static Results<FileStreamHttpResult, ProblemHttpResult> Download(string key, HttpContext context, LocalBlobStore store, TimeProvider time)
    {
        if (Check("GET", key, null, store.Signer, context.Request.Query, time) is not { } blob)
        {
            return Forbidden();
        }

        // Opened once and served from the open file: a blob deleted after a check for it and before the copy would
        // fail the request half-way (a 500, or a response cut after its headers). Once open, a delete leaves the bytes readable.
        if (store.OpenRead(blob) is not { } file)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Blob not found", detail: "Nothing was uploaded under this key.");
        }

        // Blobs are data from SDKs, never pages of this origin: no inline rendering, no sniffing, no script.
        var headers = context.Response.Headers;
        headers.ContentDisposition = "attachment";
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = "sandbox; default-src 'none'";
        return TypedResults.Stream(file, context.Request.Query["ct"].ToString(), lastModified: new DateTimeOffset(File.GetLastWriteTimeUtc(file.SafeFileHandle)), enableRangeProcessing: true);
    }

    /// <summary>The blob a request may act on, or <c>null</c> when its signature, expiry or key do not hold.</summary>
    private static BlobKey? Check(string method, string key, long? size, LocalUrlSigner signer, IQueryCollection query, TimeProvider time)
    {
        if (!BlobKey.TryParse(key, out var blob)
            || !long.TryParse(query["exp"], NumberStyles.None, CultureInfo.InvariantCulture, out var exp)
            || exp <= time.GetUtcNow().ToUnixTimeSeconds()
            || query["ct"] is not [{ } contentType]
            || !signer.IsValid(method, blob.Value.Value, exp, size, contentType, query["sig"]))
        {
            return null;
        }

        return blob;
    }

    private static ProblemHttpResult Forbidden() =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Invalid signature",
            detail: "The URL is expired, altered, or used for another method or object; ask for a new one.");

    private static ProblemHttpResult TooLarge(long limit) =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Blob too large", detail: $"The body exceeds the {limit} bytes this URL allows.");

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "Upload of blob {Key} ({Size} bytes): {Outcome}")]
        public static partial void Upload(ILogger logger, string key, long size, UploadOutcome outcome);
    }
}
