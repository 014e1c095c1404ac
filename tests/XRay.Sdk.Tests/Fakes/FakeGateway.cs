using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace XRay.Sdk.Tests.Fakes;

/// <summary>
/// A minimal Kestrel server that implements the SDK side of docs/events.md (ingest, presign, blob upload,
/// key check), recording what it received. Used where a test needs to see exactly what arrived.
/// </summary>
public sealed class FakeGateway : IAsyncDisposable
{
    public const string ApiKey = "xray_test_key";
    public const string ProjectId = "0123456789abcdef01234567";

    private readonly WebApplication _app;

    private FakeGateway(WebApplication app) => _app = app;

    public ConcurrentDictionary<string, JsonElement> Events { get; } = new();

    /// <summary>Every ingest body that was JSON, as received (not those refused as too large).</summary>
    public ConcurrentQueue<JsonElement> Batches { get; } = new();

    public ConcurrentDictionary<string, byte[]> Blobs { get; } = new();

    public ConcurrentDictionary<string, string> BlobContentTypes { get; } = new();

    public int IngestRequests => _ingestRequests;

    /// <summary>Events whose <c>name</c> equals this are rejected per event in the 202, like a validation failure.</summary>
    public string RejectName { get; set; } = "reject-me";

    /// <summary>A batch with more events is refused as the gateway does: <c>400</c> typed as too many events.</summary>
    public int MaxEventsPerBatch { get; set; } = int.MaxValue;

    /// <summary>A larger body is refused with <c>413</c>.</summary>
    public long MaxBodyBytes { get; set; } = long.MaxValue;

    /// <summary>
    /// Whether those refusals carry the limit (<c>maxEventsPerBatch</c>, <c>maxBodyBytes</c>) as the gateway's do;
    /// <see langword="false"/> answers as a proxy in front might: a bare HTML <c>413</c>, a <c>400</c> with the type alone.
    /// </summary>
    public bool AdvertiseLimits { get; set; } = true;

    /// <summary>
    /// An ingest or presign whose JSON body this matches is answered with <c>500</c> every time, as a server bug that one
    /// request triggers would be.
    /// </summary>
    public Func<JsonElement, bool>? FailsOn { get; set; }

    /// <summary>Requests answered with <c>500</c> because of <see cref="FailsOn"/>.</summary>
    public int ServerErrors => _serverErrors;

    /// <summary>A slow link, seen from the client: a blob upload is answered after its size at this rate (0: at once).</summary>
    public long UploadBytesPerSecond { get; set; }

    /// <summary>Blob uploads whose body was read in full.</summary>
    public int Uploads => _uploads;

    /// <summary>Batches refused as too large (either limit).</summary>
    public int TooLargeRefusals => _tooLargeRefusals;

    /// <summary>
    /// The status a blob upload is answered with, read first as a store would, by its content type and its attempt
    /// (1 for the blob's first upload): a 403 as an expired URL or a skewed clock gets from S3. Null lets it through.
    /// </summary>
    public Func<string, int, int?>? UploadRefusal { get; set; }

    /// <summary>A presign whose JSON body this matches is refused with <c>403</c>, as for a trace of another project.</summary>
    public Func<JsonElement, bool>? RefusesPresign { get; set; }

    /// <summary>Presigns answered, refused or not, per data id.</summary>
    public ConcurrentDictionary<string, int> Presigns { get; } = new();

    /// <summary>Blob uploads that reached the store, refused or not, per data id.</summary>
    public ConcurrentDictionary<string, int> UploadAttempts { get; } = new();

    /// <summary>Where an endless answer (<see cref="Flood"/>) stops when the client never closes: past what a bounded client reads.</summary>
    public const long FloodLimitBytes = 64L * 1024 * 1024;

    /// <summary>How each endless answer ended, in order.</summary>
    public ConcurrentQueue<FloodEnd> Floods { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    private int _ingestRequests;
    private int _tooLargeRefusals;
    private int _serverErrors;
    private int _uploads;
    private int _presigns;
    private string? _floodPath;
    private int _floodStatus;

    /// <summary>
    /// Answers the next request to <paramref name="path"/> (<c>/api/v1/ingest</c>, <c>/api/v1/presign</c>) with
    /// <paramref name="status"/> and a JSON body that never ends (a string that goes on), as a broken proxy or a hostile
    /// server might; it streams until the client closes the connection, or <see cref="FloodLimitBytes"/> have gone out.
    /// </summary>
    public void Flood(string path, int status)
    {
        _floodStatus = status;
        Volatile.Write(ref _floodPath, path);
    }

    public static async Task<FakeGateway> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var gateway = new FakeGateway(app);
        gateway.Map(app);
        await app.StartAsync();
        gateway.BaseAddress = new Uri(app.Urls.First() + "/");
        return gateway;
    }

    /// <summary>Steps of a trace as received, ordered by step number.</summary>
    public IReadOnlyList<JsonElement> StepsOf(string traceId) => Events.Values
        .Where(e => e.GetProperty("traceId").GetString() == traceId && e.GetProperty("type").GetString() is "step" or "error")
        .OrderBy(e => e.GetProperty("stepNumber").GetInt32())
        .ToList();

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (Volatile.Read(ref _floodPath) is { } path && context.Request.Path == path
                && Interlocked.CompareExchange(ref _floodPath, null, path) == path)
            {
                await FloodAsync(context, _floodStatus);
                return;
            }

            await next(context);
        });

        app.MapPost("/api/v1/ingest", async (HttpContext context) =>
        {
            Interlocked.Increment(ref _ingestRequests);
            if (context.Request.Headers["x-api-key"] != ApiKey)
            {
                return Results.Problem(statusCode: 401);
            }

            if (context.Request.ContentLength > MaxBodyBytes)
            {
                Interlocked.Increment(ref _tooLargeRefusals);
                return AdvertiseLimits
                    ? Results.Problem("The request body exceeds the limit.", statusCode: 413, extensions: new Dictionary<string, object?> { ["maxBodyBytes"] = MaxBodyBytes })
                    : Results.Text("<html><body><h1>413 Request Entity Too Large</h1></body></html>", "text/html", statusCode: 413);
            }

            JsonElement body;
            try
            {
                body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
            }
            catch (JsonException)
            {
                return Results.Problem("not JSON", statusCode: 400);
            }

            if (FailsOn?.Invoke(body) == true)
            {
                return ServerError();
            }

            if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Array)
            {
                Batches.Enqueue(body.Clone());
                return Results.Problem("no events array", statusCode: 400);
            }

            if (events.GetArrayLength() > MaxEventsPerBatch)
            {
                Interlocked.Increment(ref _tooLargeRefusals);
                return Results.Problem($"events holds {events.GetArrayLength()} events; the limit is {MaxEventsPerBatch} per batch.", statusCode: 400,
                    type: "https://xray.local/problems/too-many-events",
                    extensions: AdvertiseLimits ? new Dictionary<string, object?> { ["maxEventsPerBatch"] = MaxEventsPerBatch } : null);
            }

            Batches.Enqueue(body.Clone());

            var rejected = new List<object>();
            var index = 0;
            foreach (var e in events.EnumerateArray())
            {
                var eventId = e.GetProperty("eventId").GetString()!;
                if (e.TryGetProperty("name", out var name) && name.GetString() == RejectName)
                {
                    rejected.Add(new { index, eventId, reason = "name is not allowed" });
                }
                else if (!e.GetProperty("traceId").GetString()!.StartsWith(ProjectId + "-", StringComparison.Ordinal))
                {
                    rejected.Add(new { index, eventId, reason = "traceId does not belong to the key's project" });
                }
                else
                {
                    Events[eventId] = e.Clone();
                }

                index++;
            }

            return Results.Json(new { accepted = index - rejected.Count, rejected }, statusCode: 202);
        });

        app.MapPost("/api/v1/presign", async (HttpContext context) =>
        {
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
            if (FailsOn?.Invoke(body) == true)
            {
                return ServerError();
            }

            var dataId = body.GetProperty("dataId").GetString()!;
            Presigns.AddOrUpdate(dataId, 1, (_, n) => n + 1);
            if (RefusesPresign?.Invoke(body) == true)
            {
                return Results.Problem("the trace belongs to another project than the key", statusCode: 403);
            }

            // a fresh signature each time, as a real presign's
            var url = new Uri(BaseAddress, $"blobs/{dataId}?sig={Interlocked.Increment(ref _presigns)}").ToString();
            return Results.Json(new { url, method = "PUT", headers = new Dictionary<string, string> { ["x-signed"] = "yes" }, expiresAt = DateTimeOffset.UtcNow.AddMinutes(5) });
        });

        app.MapPut("/blobs/{dataId}", async (string dataId, HttpContext context) =>
        {
            if (context.Request.Headers["x-signed"] != "yes")
            {
                return Results.StatusCode(403);
            }

            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var attempt = UploadAttempts.AddOrUpdate(dataId, 1, (_, n) => n + 1);
            if (UploadRefusal?.Invoke(context.Request.ContentType ?? "", attempt) is { } refusal)
            {
                return Results.Text("<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", "application/xml", statusCode: refusal);
            }

            Interlocked.Increment(ref _uploads);
            if (UploadBytesPerSecond > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds((double)buffer.Length / UploadBytesPerSecond), context.RequestAborted);
            }

            Blobs[dataId] = buffer.ToArray();
            BlobContentTypes[dataId] = context.Request.ContentType ?? "";
            return Results.Ok();
        });

        app.MapGet("/api/v1/auth/key", () => Results.Json(new { projectId = ProjectId, keyId = "key1" }));
    }

    private async Task FloodAsync(HttpContext context, int status)
    {
        await context.Request.Body.CopyToAsync(Stream.Null);
        context.Response.StatusCode = status;
        context.Response.ContentType = status < 400 ? "application/json" : "application/problem+json";
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'x');
        long sent = 0;
        var cutByClient = false;
        try
        {
            await context.Response.Body.WriteAsync("{\"accepted\":1,\"rejected\":[],\"title\":\"flood\",\"pad\":\""u8.ToArray(), context.RequestAborted);
            while (sent < FloodLimitBytes && !context.RequestAborted.IsCancellationRequested)
            {
                var written = await context.Response.BodyWriter.WriteAsync(chunk, context.RequestAborted);
                if (written.IsCompleted || written.IsCanceled)
                {
                    break; // the connection is gone
                }

                sent += chunk.Length;
                if (sent % (1024 * 1024) == 0)
                {
                    // Kestrel raises RequestAborted on the thread pool and takes writes after a close without a word: a
                    // pause every MiB lets the abort through, so that writes to a closed connection are not counted as sent
                    await Task.Delay(1, context.RequestAborted);
                }
            }

            cutByClient = sent < FloodLimitBytes;
            if (!cutByClient)
            {
                await context.Response.Body.WriteAsync("\"}"u8.ToArray(), context.RequestAborted);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            cutByClient = true; // the client closed the connection
        }

        Floods.Enqueue(new FloodEnd(sent, cutByClient));
    }

    private IResult ServerError()
    {
        Interlocked.Increment(ref _serverErrors);
        return Results.Problem("the server failed on this request", statusCode: 500);
    }
}

/// <summary>How an endless answer ended: the bytes of it that went out, and whether the client closed the connection first.</summary>
public sealed record FloodEnd(long Bytes, bool CutByClient);
