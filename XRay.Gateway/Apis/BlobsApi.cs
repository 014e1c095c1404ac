using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using XRay.Gateway.Auth;
using XRay.Gateway.Blobs;
using XRay.Gateway.Blobs.Local;
using XRay.Gateway.Blobs.Options;
using XRay.Gateway.Hosting;
using XRay.Gateway.Problems;
using XRay.Grains.Accounts;
using XRay.Grains.Ids;
using XRay.Grains.Ingest;
using XRay.Grains.Storage;

namespace XRay.Gateway.Apis;

/// <summary>Data blobs: signed upload URLs for SDKs, signed download URLs for members.</summary>
public static partial class BlobsApi
{
    public static IEndpointRouteBuilder MapBlobsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Blobs");
        api.MapPost("/presign", PresignAsync).WithName("PresignUpload").WithSummary("Get a signed URL to upload one data blob.")
            .RequireAuthorization(GatewayPolicies.ApiKey).WithSmallBody().RequireRateLimiting(RateLimiting.SdkPolicy);
        api.MapGet("/traces/{traceId}/data/{dataId}", GetDownloadAsync).WithName("GetDataDownload").WithSummary("Get a blob's metadata and a short-lived download URL.")
            .RequireAuthorization().RequireRateLimiting(RateLimiting.UserPolicy);
        if (app.ServiceProvider.GetRequiredService<IOptions<BlobStoreOptions>>().Value.Provider == BlobProvider.Local)
        {
            app.MapLocalBlobRoutes();
        }

        return app;
    }

    public sealed record PresignRequest(string? TraceId, string? DataId, string? ContentType, long? Size, string? Sha256);

    public sealed record PresignResponse(Uri Url, string Method, IReadOnlyDictionary<string, string> Headers, DateTimeOffset ExpiresAt);

    public sealed record DownloadResponse(string DataId, string TraceId, Uri Url, string Method, DateTimeOffset ExpiresAt, string ContentType, long Size, string? Sha256, bool Arrived);

    public static async Task<Results<Ok<PresignResponse>, ValidationProblem, ProblemHttpResult>> PresignAsync(
        PresignRequest request, ClaimsPrincipal caller, HttpContext context, IBlobStore store, IIngestLog log,
        IOptions<BlobStoreOptions> options, TimeProvider time, GatewayMetrics metrics, ILoggerFactory loggers)
    {
        var limits = options.Value;
        var validation = new Validation();
        if (!BlobKey.TryCreate(request.TraceId, request.DataId, out var key))
        {
            CheckIds(validation, request.TraceId, request.DataId);
        }

        CheckContentType(validation, request.ContentType);
        if (request.Size is not >= 0)
        {
            validation.Add("size", "'size' must be a number of bytes, 0 or more (an empty blob is a blob).");
        }

        if (request.Sha256 is not null && (request.Sha256.Length != 64 || !request.Sha256.All(char.IsAsciiHexDigit)))
        {
            validation.Add("sha256", "'sha256' must be 64 hexadecimal digits.");
        }

        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        if (key.ProjectId != caller.KeyProjectId())
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Trace of another project",
                detail: "The trace id names a project other than the API key's; a key can only write to its own project.");
        }

        if (request.Size > limits.MaxBlobBytes)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Blob too large",
                detail: $"'size' exceeds the limit of {limits.MaxBlobBytes} bytes per blob.");
        }

        var now = time.GetUtcNow();
        var upload = await store.PresignUploadAsync(key, request.ContentType!, request.Size!.Value, now + limits.UrlLifetime, context.RequestAborted);
        if (Absolute(context, upload.Url) is not { } url)
        {
            return NoUrlForHost(context); // before the log: a refused request records nothing
        }

        try
        {
            // Answer only once the metadata is durable: a URL we hand out always has its data row coming.
            var record = DataEvent.For(key, request.ContentType!, request.Size.Value, request.Sha256?.ToLowerInvariant(), now).ToRecord();
            await log.AppendAsync([record], context.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.AppendFailed(loggers.CreateLogger(typeof(BlobsApi)), e, key.Value);
            context.Response.Headers.RetryAfter = "1";
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Ingest log unavailable", detail: "The blob's metadata could not be recorded; retry shortly.");
        }

        metrics.Presigned();
        return TypedResults.Ok(new PresignResponse(url, upload.Method, upload.Headers, upload.ExpiresAt));
    }

    public static async Task<Results<Ok<DownloadResponse>, ValidationProblem, ProblemHttpResult>> GetDownloadAsync(
        string traceId, string dataId, ClaimsPrincipal user, HttpContext context, ProjectAccess access, ITraceStore traces,
        IBlobStore store, IOptions<BlobStoreOptions> options, TimeProvider time)
    {
        if (!BlobKey.TryCreate(traceId, dataId, out var key, legacy: true))
        {
            return CheckIds(new Validation(), traceId, dataId).ToProblem();
        }

        if (await access.CheckAsync(key.ProjectId, user.UserId(), ProjectRole.Member) is { } denied)
        {
            return denied;
        }

        var data = await traces.FindDataAsync(key.TraceId, key.DataId, context.RequestAborted);
        if (data is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Data not found", detail: $"Trace '{traceId}' has no data blob '{dataId}' (yet).");
        }

        var download = await store.PresignDownloadAsync(key, data.ContentType, time.GetUtcNow() + options.Value.UrlLifetime, context.RequestAborted);
        if (Absolute(context, download.Url) is not { } url)
        {
            return NoUrlForHost(context);
        }

        var arrived = await store.GetSizeAsync(key, context.RequestAborted) is not null;
        return TypedResults.Ok(new DownloadResponse(data.DataId, data.TraceId, url, download.Method, download.ExpiresAt, data.ContentType, data.Size, data.Sha256, arrived));
    }

    private static Validation CheckIds(Validation validation, string? traceId, string? dataId)
    {
        if (!TraceIds.TryParse(traceId, out _))
        {
            validation.Add("traceId", "'traceId' must be {projectId}-{uuid}: 24 lowercase hex digits, a dash, and a uuid.");
        }

        if (dataId is null || !TraceIds.IsUuid(dataId))
        {
            validation.Add("dataId", "'dataId' must be a uuid (8-4-4-4-12 hex digits).");
        }

        return validation;
    }

    private static void CheckContentType(Validation validation, string? contentType)
    {
        validation.Required("contentType", contentType, 200);
        // Spaces around it are not part of a header's value: HTTP drops them, so the upload's Content-Type could never match the signed one.
        if (!string.IsNullOrWhiteSpace(contentType)
            && (!MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.MediaType.Value?.Contains('/', StringComparison.Ordinal) != true
                || contentType.Any(c => c is < ' ' or > '~') || contentType[0] == ' ' || contentType[^1] == ' '))
        {
            validation.Add("contentType", "'contentType' must be a media type such as 'application/json', in printable ASCII, without spaces before or after it.");
        }
    }

    /// <summary>
    /// The local store signs relative URLs; they point at the gateway the client reached. <c>null</c> when the request's
    /// <c>Host</c> forms no URL: Kestrel passes some that <see cref="Uri"/> refuses (a port above 65535, <c>a..b</c>, or none at all).
    /// </summary>
    private static Uri? Absolute(HttpContext context, Uri url) =>
        url.IsAbsoluteUri ? url
        : Uri.TryCreate($"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}/", UriKind.Absolute, out var origin) ? new Uri(origin, url)
        : null;

    private static ProblemHttpResult NoUrlForHost(HttpContext context) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "No URL for this Host",
            detail: $"The Host header '{context.Request.Host}' does not form a URL the blob could be reached at; send the gateway's address "
                + "as Host (or set Blobs:Local:PublicBaseUrl on the server).");

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Error, Message = "Could not append the data event of blob {Key} to the ingest log")]
        public static partial void AppendFailed(ILogger logger, Exception exception, string key);
    }
}
