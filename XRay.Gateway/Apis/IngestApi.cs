using System.Diagnostics;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using XRay.Gateway.Auth;
using XRay.Gateway.Hosting;
using XRay.Gateway.Json;
using XRay.Gateway.Options;
using XRay.Gateway.Problems;
using XRay.Gateway.Traces;
using XRay.Grains.Ingest;

namespace XRay.Gateway.Apis;

/// <summary>
/// <c>POST /api/v1/ingest</c>: validates each event, appends the valid ones durably to the ingest log,
/// and only then answers 202 with what was accepted and, per rejected event, why.
/// </summary>
public static partial class IngestApi
{
    public static IEndpointRouteBuilder MapIngestApi(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IOptions<IngestOptions>>().Value;
        app.MapPost("/api/v1/ingest", IngestAsync)
            .WithName("Ingest").WithTags("Ingest")
            .WithSummary("Receive a batch of trace events (docs/events.md).")
            .Accepts<IngestRequest>("application/json")
            .RequireAuthorization(GatewayPolicies.ApiKey)
            .RequireRateLimiting(RateLimiting.SdkPolicy)
            .WithMetadata(new RequestSizeLimitAttribute(options.MaxBodyBytes));
        var schema = IngestSchema(options);
        var etag = new Microsoft.Net.Http.Headers.EntityTagHeaderValue(
            $"\"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(schema)))[..16]}\"");
        app.MapGet("/api/v1/ingest/schema", (HttpContext context) =>
            {
                context.Response.Headers.ETag = etag.ToString();
                context.Response.Headers.CacheControl = "public, max-age=3600";
                // If-None-Match compares weakly (RFC 9110): W/ tags from a compressing proxy, lists and * match too.
                var notModified = context.Request.GetTypedHeaders().IfNoneMatch.Any(t => t.Equals(Microsoft.Net.Http.Headers.EntityTagHeaderValue.Any) || t.Compare(etag, useStrongComparison: false));
                return notModified ? Results.StatusCode(StatusCodes.Status304NotModified) : Results.Text(schema, "application/schema+json");
            })
            .WithName("IngestSchema").WithTags("Ingest")
            .WithSummary("The JSON Schema of an ingest batch (schema version 1), with this server's batch limit.")
            .AllowAnonymous();
        return app;
    }

    /// <summary>docs/schema/ingest-batch.v1.json (embedded), its <c>events.maxItems</c> set to this server's <see cref="IngestOptions.MaxEventsPerBatch"/>.</summary>
    internal static string IngestSchema(IngestOptions options)
    {
        using var stream = typeof(IngestApi).Assembly.GetManifestResourceStream("ingest-batch.v1.json")
            ?? throw new InvalidOperationException("The ingest schema is not embedded in the gateway.");
        var schema = System.Text.Json.Nodes.JsonNode.Parse(stream)!;
        schema["properties"]!["events"]!["maxItems"] = options.MaxEventsPerBatch;
        // Relaxed escaping: the patterns' + stays +, not \u002B (the document is served as JSON, never embedded in HTML).
        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>A batch is parsed with far deeper nesting allowed than an event may have: a too deep event is rejected on its own (<see cref="IngestEventParser.MaxEventDepth"/>).</summary>
    private static readonly JsonDocumentOptions BatchParsing = new() { MaxDepth = IngestEventParser.MaxBatchDepth };

    /// <summary>The batch envelope (documentation only: the body is read as a raw JSON document).</summary>
    public sealed record IngestRequest(int? SchemaVersion, JsonElement[] Events);

    public sealed record Rejection(int Index, string? EventId, string Reason);

    public sealed record IngestResponse(int Accepted, IReadOnlyList<Rejection> Rejected);

    public static async Task<Results<Accepted<IngestResponse>, ProblemHttpResult>> IngestAsync(
        HttpRequest request, ClaimsPrincipal caller, IIngestLog log, IngestRecordCodec codec, IngestBackpressure backpressure, IOptions<IngestOptions> options,
        GatewayMetrics metrics, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var http = request.HttpContext;
        var phase = Stopwatch.GetTimestamp();
        if (await backpressure.AdmitAsync(cancellationToken) is (false, var backlog))
        {
            request.HttpContext.Response.Headers.RetryAfter = "1";
            metrics.IngestThrottled();
            return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Ingest is catching up",
                detail: $"{backlog} acknowledged events are waiting to be applied; retry this batch shortly.");
        }

        phase = ServerTiming.Phase(http, "admit", phase);
        JsonDocument parsed;
        try
        {
            parsed = await JsonDocument.ParseAsync(request.Body, BatchParsing, cancellationToken);
        }
        catch (Exception ex) when (ex is JsonException or BadHttpRequestException)
        {
            metrics.IngestRefused(); // malformed JSON or too large a body: ProblemExceptionHandler answers it
            throw;
        }

        using var document = parsed;
        phase = ServerTiming.Phase(http, "read", phase);
        var root = document.RootElement;
        if (EnvelopeProblem(root, out var events) is { } problem)
        {
            metrics.IngestRefused();
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid batch", detail: problem);
        }

        var count = events.GetArrayLength();
        if (count > limits.MaxEventsPerBatch)
        {
            // Typed, with the limit as a member: a client splits the batch (the .NET SDK does) instead of losing it.
            metrics.IngestRefused();
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Too many events in the batch",
                detail: $"events holds {count} events; the limit is {limits.MaxEventsPerBatch} per batch.",
                type: ProblemTypes.TooManyEvents,
                extensions: new Dictionary<string, object?> { [ProblemTypes.MaxEventsPerBatch] = limits.MaxEventsPerBatch });
        }

        var projectId = caller.KeyProjectId();
        var records = new List<ReadOnlyMemory<byte>>(count);
        var rejected = new List<Rejection>();
        var index = 0;
        foreach (var element in events.EnumerateArray())
        {
            if (!IngestEventParser.TryAccept(element, projectId, limits.MaxEventBytes, out var accepted, out var reason))
            {
                rejected.Add(new Rejection(index, EventIdOf(element), reason));
            }
            else if (codec.Encode(accepted!) is var record && record.Length <= log.MaxRecordBytes)
            {
                records.Add(record);
            }
            else
            {
                // A step's document holds its payloads again (and an error step's error twice): up to about twice the event.
                rejected.Add(new Rejection(index, EventIdOf(element),
                    $"Rendered for the ingest log the event takes {record.Length} bytes; the log's limit is {log.MaxRecordBytes}. Put large payloads in data blobs."));
            }

            index++;
        }

        phase = ServerTiming.Phase(http, "check", phase);
        if (records.Count > 0)
        {
            try
            {
                await log.AppendAsync(records, cancellationToken);
                metrics.Appended(Stopwatch.GetElapsedTime(phase, ServerTiming.Phase(http, "log", phase)));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogAppendFailed(loggers.CreateLogger(typeof(IngestApi)), ex, records.Count);
                request.HttpContext.Response.Headers.RetryAfter = "1";
                metrics.IngestFailed();
                return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Ingest log unavailable",
                    detail: "The events could not be stored durably and were not accepted; retry the whole batch.");
            }
        }

        metrics.IngestAccepted(records.Count, rejected.Count);
        return TypedResults.Accepted((string?)null, new IngestResponse(records.Count, rejected));
    }

    /// <summary>What is wrong with the batch's shape, or null; <paramref name="events"/> is its array when it has one (its length against the limit is checked apart).</summary>
    private static string? EnvelopeProblem(JsonElement root, out JsonElement events)
    {
        events = default;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return "The body must be a JSON object {\"events\": [...]}.";
        }

        if (!JsonStrings.TryGetProperty(root, "schemaVersion", out var version) || !JsonStrings.TryGetProperty(root, "events", out events))
        {
            return "A property name of the body is not valid text (a lone surrogate escape).";
        }

        if (version.ValueKind != JsonValueKind.Undefined && !(IngestEventParser.TryGetInt32Value(version, out var v) && v == 1))
        {
            return "schemaVersion must be 1.";
        }

        if (events.ValueKind != JsonValueKind.Array)
        {
            return "events must be an array of events.";
        }

        return events.GetArrayLength() == 0 ? "events must hold at least one event." : null;
    }

    /// <summary>The event's id for its rejection, when it has a readable one of sensible length.</summary>
    private static string? EventIdOf(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object && JsonStrings.TryGetProperty(element, "eventId", out var id) && id.ValueKind == JsonValueKind.String
            && JsonStrings.TryRead(id, out var text) && text is { Length: <= 64 }
            ? text
            : null;

    [LoggerMessage(Level = LogLevel.Error, Message = "Appending {Count} events to the ingest log failed")]
    private static partial void LogAppendFailed(ILogger logger, Exception exception, int count);
}
