using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using XRay.Gateway.Auth;
using XRay.Gateway.Hosting;
using XRay.Gateway.Problems;
using XRay.Gateway.Query;
using XRay.Gateway.Traces;
using XRay.Grains.Accounts;
using XRay.Grains.Storage;

namespace XRay.Gateway.Apis;

/// <summary>Querying a project's steps across traces with ANDed filters (docs/query.md). JWT + membership.</summary>
public static class QueryApi
{
    public static IEndpointRouteBuilder MapQueryApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Query").RequireAuthorization().RequireRateLimiting(RateLimiting.UserPolicy);
        api.MapPost("/projects/{projectId}/query", QueryStepsAsync).WithName("QuerySteps")
            .WithSummary("Query a project's steps with filters, newest first, with cursor pagination.")
            .WithSmallBody()
            .Produces<StepPage>();
        return app;
    }

    public static async Task<Results<FileContentHttpResult, ValidationProblem, ProblemHttpResult>> QueryStepsAsync(
        string projectId, StepQueryRequest request, ClaimsPrincipal user, ProjectAccess access, ITraceStore store, CancellationToken cancellationToken)
    {
        if (await access.CheckAsync(projectId, user.UserId(), ProjectRole.Member) is { } denied)
        {
            return denied;
        }

        var validation = new Validation();
        var query = StepQueryParser.Parse(request, validation);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        IReadOnlyList<StepRecord> rows;
        try
        {
            // One extra row tells whether another page follows.
            rows = await store.QueryStepsAsync(projectId, query with { Limit = query.Limit + 1 }, cancellationToken);
        }
        catch (NotSupportedException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The query is not supported by this store.", detail: e.Message);
        }

        var page = rows.Take(query.Limit).ToList();
        var next = rows.Count > query.Limit ? KeysetCursor.Encode(page[^1].StartedAt, page[^1].StepId) : null;
        return (FileContentHttpResult)TraceJson.ToResult(writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("items");
            foreach (var step in page)
            {
                writer.WriteRawValue(WithTraceId(step), skipInputValidation: true);
            }

            writer.WriteEndArray();
            writer.WriteString("nextCursor", next);
            writer.WriteEndObject();
        });
    }

    /// <summary>
    /// The stored step document with <c>traceId</c> spliced in as its first property: the document is always a
    /// non-empty object rendered by StepDocument, so the payloads are copied, never parsed and re-encoded.
    /// </summary>
    private static byte[] WithTraceId(StepRecord step) =>
        [.. "{\"traceId\":"u8, .. JsonSerializer.SerializeToUtf8Bytes(step.TraceId), (byte)',', .. step.Document.AsSpan(1)];
}
