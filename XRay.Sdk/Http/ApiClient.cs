using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace XRay.Sdk.Http;

/// <summary>The gateway's SDK endpoints (ingest, presign, key check) and the upload to a presigned URL.</summary>
internal sealed class ApiClient(HttpClient http, string apiKey)
{
    /// <summary>
    /// The most of an error body read: the detail keeps its first 500 characters, and a problem document the SDK reads
    /// (<see cref="BatchTooLarge"/>: <c>type</c>, <c>maxEventsPerBatch</c>, <c>maxBodyBytes</c>) takes a few hundred bytes.
    /// A longer one is cut: its detail is the same, and a cut problem document is read as no problem document.
    /// </summary>
    internal const int MaxErrorBodyBytes = 16 * 1024;

    /// <summary>
    /// The most of a JSON answer read; a longer one is unreadable, as invalid JSON is. The largest the gateway sends is an
    /// ingest <c>202</c> that rejects every event of a batch: at most 1,000 events (the bound of
    /// <see cref="XRayOptions.MaxBatchSize"/>), each rejection an index, an event id of at most 64 characters (384 bytes
    /// escaped) and a reason under 200 bytes: about 640 KB.
    /// </summary>
    internal const int MaxJsonBodyBytes = 1024 * 1024;

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public async Task<Delivery> IngestAsync(byte[] batch, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/ingest")
        {
            Content = new ByteArrayContent(batch) { Headers = { ContentType = Json } },
        };
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        var delivery = await ClassifyAsync(response, cancellationToken, ingest: true).ConfigureAwait(false);
        if (delivery.Outcome != DeliveryOutcome.Delivered)
        {
            return delivery;
        }

        var body = await ReadAsync(response, WireJson.Default.IngestResponse, cancellationToken).ConfigureAwait(false);
        return delivery with { Ingest = body };
    }

    public async Task<Delivery> PresignAsync(PresignRequest presign, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/presign")
        {
            Content = JsonContent.Create(presign, WireJson.Default.PresignRequest),
        };
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        var delivery = await ClassifyAsync(response, cancellationToken).ConfigureAwait(false);
        if (delivery.Outcome != DeliveryOutcome.Delivered)
        {
            return delivery;
        }

        var body = await ReadAsync(response, WireJson.Default.PresignResponse, cancellationToken).ConfigureAwait(false);
        return body is null
            ? new Delivery(DeliveryOutcome.ServerError, (int)response.StatusCode, Detail: "presign answered without a URL")
            : delivery with { Presign = body };
    }

    /// <summary>Sends the bytes where presign said, with the method and headers it gave; no API key (the URL is signed).</summary>
    public async Task<Delivery> UploadAsync(PresignResponse target, byte[] data, string contentType, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(new HttpMethod(target.Method ?? "PUT"), new Uri(target.Url, UriKind.Absolute))
        {
            Content = new ByteArrayContent(data),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        foreach (var (name, value) in target.Headers ?? new Dictionary<string, string>())
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content.Headers.Remove(name); // content headers (content-type) must match what was signed
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var delivery = await ClassifyAsync(response, cancellationToken).ConfigureAwait(false);
        // the store's 403 or 400 is what an expired URL or a skewed clock gets: a fresh URL may be taken (DeliveryPolicy)
        return delivery.Status is (int)HttpStatusCode.Forbidden or (int)HttpStatusCode.BadRequest
            ? delivery with { Outcome = DeliveryOutcome.UploadRefused }
            : delivery;
    }

    public async Task<(Delivery Delivery, KeyInfo? Key)> CheckKeyAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/auth/key");
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        var delivery = await ClassifyAsync(response, cancellationToken).ConfigureAwait(false);
        var key = delivery.Outcome == DeliveryOutcome.Delivered
            ? await ReadAsync(response, WireJson.Default.KeyInfo, cancellationToken).ConfigureAwait(false)
            : null;
        return (delivery, key);
    }

    private Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.TryAddWithoutValidation("x-api-key", apiKey);
        return http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    /// <summary>
    /// Delivered, refused, transient or a server error by the status (<see cref="DeliveryOutcome"/>); a refusal of an ingest (<paramref name="ingest"/>) may also say the
    /// batch was too large (<see cref="Delivery.TooLarge"/>).
    /// </summary>
    private static async Task<Delivery> ClassifyAsync(HttpResponseMessage response, CancellationToken cancellationToken, bool ingest = false)
    {
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            return new Delivery(DeliveryOutcome.Delivered, status);
        }

        var body = await ReadBodyAsync(response, cancellationToken).ConfigureAwait(false);
        var detail = body is { Length: > 500 } ? body[..500] : body;
        return new Delivery(Classify(status), status, RetryAfter(response), detail)
        {
            TooLarge = ingest ? BatchTooLarge.Read(status, body) : null,
        };
    }

    /// <summary>An answer that is not a success: which of them a retry may fix, and for how long.</summary>
    private static DeliveryOutcome Classify(int status) => status switch
    {
        (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.TooManyRequests => DeliveryOutcome.Transient,
        (int)HttpStatusCode.BadGateway or (int)HttpStatusCode.ServiceUnavailable or (int)HttpStatusCode.GatewayTimeout => DeliveryOutcome.Transient,
        >= 520 and <= 527 or 530 or 598 or 599 => DeliveryOutcome.Transient, // a CDN or proxy that cannot reach the gateway (Cloudflare's 52x)
        >= 500 => DeliveryOutcome.ServerError,
        _ => DeliveryOutcome.Refused,
    };

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var delay = header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        // a hostile or broken header must not park the uploader for hours
        return delay is { } d ? TimeSpan.FromTicks(Math.Clamp(d.Ticks, 0, TimeSpan.FromMinutes(5).Ticks)) : null;
    }

    /// <summary>The first <see cref="MaxErrorBodyBytes"/> of the body as text (the gateway answers UTF-8), or null when it cannot be read.</summary>
    private static async Task<string?> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var (body, _) = await BoundedBody.ReadAsync(response.Content, MaxErrorBodyBytes, cancellationToken).ConfigureAwait(false);
            return Encoding.UTF8.GetString(body.Span);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return null;
        }
    }

    /// <summary>The body as <typeparamref name="T"/>, or null when it is not that JSON or is longer than <see cref="MaxJsonBodyBytes"/>.</summary>
    private static async Task<T?> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        var (body, complete) = await BoundedBody.ReadAsync(response.Content, MaxJsonBodyBytes, cancellationToken).ConfigureAwait(false);
        if (!complete)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(body.Span, type);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
