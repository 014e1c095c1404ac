using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using XRay.Gateway.Auth;
using XRay.Gateway.Hosting;
using XRay.Gateway.Problems;
using XRay.Gateway.Query;
using XRay.Gateway.Traces;
using XRay.Grains.Accounts;
using XRay.Grains.Ids;
using XRay.Grains.Ingest;
using XRay.Grains.Storage;

namespace XRay.Gateway.Apis;

/// <summary>Reading traces: a project's trace list and one trace with all its steps. JWT + membership.</summary>
public static class TracesApi
{
    private static readonly string[] Statuses = ["running", "success", "failure"];

    public static IEndpointRouteBuilder MapTracesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Traces").RequireAuthorization().RequireRateLimiting(RateLimiting.UserPolicy);
        api.MapGet("/projects/{projectId}/traces", ListTracesAsync).WithName("ListTraces")
            .WithSummary("List a project's traces, newest first, with filters and cursor pagination.")
            .Produces<TracePage>();
        api.MapGet("/traces/{traceId}", GetTraceAsync).WithName("GetTrace")
            .WithSummary("Get a trace with all its steps in order and its data blobs.")
            .Produces<TraceView>();
        return app;
    }

    /// <summary>Query string of the trace list.</summary>
    public sealed record ListTracesQuery(string? Status, string? Name, string? From, string? To, int? Limit, string? Cursor);

    /// <summary>OpenAPI shape of a page (the body is written directly from stored JSON).</summary>
    public sealed record TracePage(IReadOnlyList<TraceView> Items, string? NextCursor);

    /// <summary>OpenAPI shape of a trace.</summary>
    public sealed record TraceView(string TraceId, string ProjectId, string? Name, string Status, DateTimeOffset StartedAt, DateTimeOffset? EndedAt,
        long? DurationMs, int StepCount, object? Metadata, object? Output, object? Error, IReadOnlyList<object>? Steps, IReadOnlyList<object>? Data);

    public static async Task<Results<FileContentHttpResult, ValidationProblem, ProblemHttpResult>> ListTracesAsync(
        string projectId, [AsParameters] ListTracesQuery query, ClaimsPrincipal user, ProjectAccess access, ITraceStore store, CancellationToken cancellationToken)
    {
        if (await access.CheckAsync(projectId, user.UserId(), ProjectRole.Member) is { } denied)
        {
            return denied;
        }

        var validation = new Validation();
        var parsed = Parse(query, validation);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        // One extra row tells whether another page follows.
        var rows = await store.ListTracesAsync(projectId, parsed with { Limit = parsed.Limit + 1 }, cancellationToken);
        var page = rows.Take(parsed.Limit).ToList();
        var next = rows.Count > parsed.Limit ? KeysetCursor.Encode(page[^1].StartedAt, page[^1].TraceId) : null;
        return (FileContentHttpResult)TraceJson.ToResult(writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("items");
            foreach (var trace in page)
            {
                TraceJson.WriteTraceSummary(writer, trace);
            }

            writer.WriteEndArray();
            writer.WriteString("nextCursor", next);
            writer.WriteEndObject();
        });
    }

    public static async Task<Results<PushStreamHttpResult, ProblemHttpResult>> GetTraceAsync(
        string traceId, ClaimsPrincipal user, ProjectAccess access, ITraceStore store, ReadFence fence, CancellationToken cancellationToken)
    {
        if (!TraceIds.TryParse(traceId, out var projectId, legacy: true))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Trace not found", detail: "A trace id is {projectId}-{uuid}.");
        }

        if (await access.CheckAsync(projectId, user.UserId(), ProjectRole.Member) is { } denied)
        {
            return denied;
        }

        await fence.WaitAsync(cancellationToken);
        var trace = await store.GetTraceAsync(traceId, cancellationToken);
        if (trace is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Trace not found", detail: $"No trace '{traceId}' has been received.");
        }

        var data = await store.GetDataAsync(traceId, cancellationToken);
        return TypedResults.Stream(
            body => TraceJson.WriteTraceAsync(body, trace, store.ReadStepDocumentsAsync(traceId, cancellationToken), data, cancellationToken),
            "application/json");
    }

    private static TraceQuery Parse(ListTracesQuery query, Validation validation)
    {
        if (query.Status is not null && !Statuses.Contains(query.Status))
        {
            validation.Add("status", "'status' must be running, success or failure.");
        }

        if (query.Name is { } name && IngestEventParser.CharacterCount(name) > IngestEventParser.MaxNameLength)
        {
            validation.Add("name", $"'name' must be at most {IngestEventParser.MaxNameLength} characters.");
        }

        var from = ParseTime(query.From, "from", validation);
        var to = ParseTime(query.To, "to", validation);
        if (from > to)
        {
            validation.Add("to", "'to' must not be before 'from'.");
        }

        var limit = query.Limit ?? 50;
        if (limit is < 1 or > 200)
        {
            validation.Add("limit", "'limit' must be between 1 and 200.");
        }

        TraceCursor? after = null;
        if (query.Cursor is not null)
        {
            if (KeysetCursor.TryDecode(query.Cursor, id => TraceIds.TryParse(id, out _, legacy: true), out var startedAt, out var traceId))
            {
                after = new TraceCursor(startedAt, traceId);
            }
            else
            {
                validation.Add("cursor", "'cursor' is not a cursor this API returned.");
            }
        }

        return new TraceQuery(query.Status, query.Name, from, to, limit, after);
    }

    private static long? ParseTime(string? value, string field, Validation validation)
    {
        if (value is null)
        {
            return null;
        }

        if (IngestEventParser.TryParseRfc3339(value, out var unixMs))
        {
            return unixMs;
        }

        // A '+' left unencoded in a query string arrives as a space: "09:30:00+01:00" reads "09:30:00 01:00".
        var space = value.LastIndexOf(' ');
        var plusDecoded = space >= 0 && IngestEventParser.TryParseRfc3339(string.Concat(value.AsSpan(0, space), "+", value.AsSpan(space + 1)), out _);
        validation.Add(field, plusDecoded
            ? $"'{field}' has a space where its '+' offset would be: a '+' in a query string reads as a space, so percent-encode it as %2B (2026-12-01T09:30:00%2B01:00)."
            : $"'{field}' must be an RFC 3339 date-time, such as 2026-12-01T09:30:00Z.");
        return null;
    }
}
