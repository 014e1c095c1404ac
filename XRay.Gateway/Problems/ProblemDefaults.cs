using Microsoft.AspNetCore.Http.Features;

namespace XRay.Gateway.Problems;

/// <summary>
/// Fills in a detail for problems the framework raises without one (oversize body, wrong media type,
/// unknown route), so every 4xx says what was wrong; an oversize body's problem also carries the limit
/// as <see cref="ProblemTypes.MaxBodyBytes"/>, so a client can split what it sends.
/// </summary>
public static class ProblemDefaults
{
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
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
