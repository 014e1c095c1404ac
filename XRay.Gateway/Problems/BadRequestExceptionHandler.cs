using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using XRay.Gateway.Auth;

namespace XRay.Gateway.Problems;

/// <summary>
/// Turns request-shaped failures (malformed JSON, wrong types, oversize bodies, shed load) into
/// problem documents that say what was wrong, instead of a bare status or a 500.
/// </summary>
public sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        (int status, string? title, string? detail) = exception switch
        {
            BadHttpRequestException { InnerException: JsonException json } => (400, "Malformed JSON", Describe(json)),
            BadHttpRequestException { StatusCode: StatusCodes.Status400BadRequest } bad => (400, "Bad request", bad.Message),
            BadHttpRequestException bad => (bad.StatusCode, null, null), // ProblemDefaults supplies the detail
            JsonException json => (400, "Malformed JSON", Describe(json)),
            TooBusyException busy => (429, "Too many requests", busy.Message),
            _ => (0, null, null),
        };
        if (status == 0)
        {
            return false; // a real fault: the framework logs it and answers a generic 500 problem
        }

        if (status == StatusCodes.Status429TooManyRequests)
        {
            httpContext.Response.Headers.RetryAfter = "1";
        }

        httpContext.Response.StatusCode = status;
        var problem = new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        };
        if (await problems.TryWriteAsync(problem).ConfigureAwait(false))
        {
            return true;
        }

        // No problem writer takes it when the client's Accept header excludes JSON. Answer the problem as JSON anyway, as
        // the endpoints' own problems fall back to: declining would leave bad input an unhandled exception, logged as a
        // server fault and answered with an empty body.
        ProblemDefaults.Customize(problem);
        await TypedResults.Problem(problem.ProblemDetails).ExecuteAsync(httpContext).ConfigureAwait(false);
        return true;
    }

    private static string Describe(JsonException json) =>
        json.Path is { Length: > 0 } path
            ? $"The body is not valid JSON for this endpoint at '{path}' (line {json.LineNumber}, byte {json.BytePositionInLine}): {FirstSentence(json.Message)}"
            : $"The body is not valid JSON: {FirstSentence(json.Message)}";

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..(end + 1)];
    }
}
