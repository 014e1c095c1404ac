using System.Diagnostics;
using Microsoft.AspNetCore.Http.Features;

namespace XRay.Gateway.Problems;

/// <summary>
/// Fills in a detail for problems the framework raises without one (oversize body, wrong media type,
/// unknown route), so every 4xx says what was wrong; an oversize body's problem also carries the limit
/// as <see cref="ProblemTypes.MaxBodyBytes"/>, so a client can split what it sends; and every problem names its request's
/// W3C trace id <c>requestId</c>.
/// </summary>
public static class ProblemDefaults
{
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        // The framework names the request's W3C trace id "traceId", which in X-Ray is a pipeline run's id (and an ingest
        // rejection's field): the same value under a name that cannot be mistaken for one. A problem written without the
        // framework's defaults (a client that accepts no JSON) gets it too.
        var requestId = problem.Extensions.Remove("traceId", out var id) ? id : Activity.Current?.Id ?? context.HttpContext.TraceIdentifier;
        problem.Extensions.TryAdd("requestId", requestId);

        if (problem is { Status: StatusCodes.Status413PayloadTooLarge, Detail: null }
            && context.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } limit)
        {
            problem.Extensions[ProblemTypes.MaxBodyBytes] = limit;
        }

        problem.Detail ??= problem.Status switch
        {
            StatusCodes.Status413PayloadTooLarge => BodyLimitDetail(context.HttpContext),
            StatusCodes.Status415UnsupportedMediaType => "Send the body as application/json.",
            StatusCodes.Status404NotFound => "No such endpoint or resource.",
            StatusCodes.Status405MethodNotAllowed => $"{context.HttpContext.Request.Method} is not allowed on this endpoint.",
            _ => null,
        };
    }

    private static string BodyLimitDetail(HttpContext context)
    {
        var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        return limit is { } bytes
            ? $"The request body exceeds the limit of {bytes} bytes for this endpoint."
            : "The request body exceeds the limit for this endpoint.";
    }
}
