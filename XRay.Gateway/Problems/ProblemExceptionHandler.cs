using System.Text.Json;
using AmazonServiceException = Amazon.Runtime.AmazonServiceException;
using KafkaException = Confluent.Kafka.KafkaException;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Data.Sqlite;
using MongoDB.Driver;
using Orleans.Runtime;
using XRay.Gateway.Auth;

namespace XRay.Gateway.Problems;

/// <summary>
/// Turns request-shaped failures (malformed JSON, wrong types, oversize bodies, shed load) into
/// problem documents that say what was wrong, instead of a bare status or a 500; and a dependency that is
/// unavailable for a while (a SQLite file locked by another process or on a full disk, an unreachable MongoDB, S3
/// or Kafka, a silo that does not answer) into <c>503</c> with <c>Retry-After</c>, which clients retry (the SDK retries a
/// 503 until it is delivered, but gives an entry up after a few 500s). A 503 is logged here as a warning with its
/// exception: the framework logs nothing for an exception a handler took.
/// </summary>
public sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
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
            _ when !httpContext.RequestAborted.IsCancellationRequested && IsUnavailable(exception) => (503, "Service unavailable",
                "A service the server depends on (its store, blob store or cluster) is unavailable for now; the request may not have taken effect. Retry shortly."),
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
        else if (status == StatusCodes.Status503ServiceUnavailable)
        {
            LogUnavailable(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
            httpContext.Response.Headers.RetryAfter = "5";
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

    /// <summary>
    /// Whether <paramref name="exception"/> (or one it wraps) says a dependency is unavailable for now rather than that
    /// the server has a bug: a retry later can succeed.
    /// </summary>
    private static bool IsUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case BadHttpRequestException or ConnectionResetException:
                    return false; // the request's own fault, or the client went away mid-request
                case FileNotFoundException or DirectoryNotFoundException or PathTooLongException:
                    return false; // a bug or a missing file, not a passing outage: a retry would fail the same way
                case OperationCanceledException when e.InnerException is not TimeoutException:
                    return false; // the client went away (an HTTP client's timeout wraps a TimeoutException: unavailable)
                case SqliteException { SqliteErrorCode: SqliteBusy or SqliteLocked or SqliteIoError or SqliteFull or SqliteCantOpen }:
                case MongoConnectionException or MongoExecutionTimeoutException or MongoNotPrimaryException:
                case AmazonServiceException { StatusCode: >= System.Net.HttpStatusCode.InternalServerError }:
                case SiloUnavailableException or OrleansMessageRejectionException:
                case TimeoutException or HttpRequestException or IOException:
                    return true;
                case KafkaException:
                    return true; // the Kafka ingest log's brokers or client; a fatal producer error replaces the producer for the retry
            }
        }

        return false;
    }

    [LoggerMessage(1, LogLevel.Warning, "{Method} {Path} answered 503: a dependency is unavailable")]
    private static partial void LogUnavailable(ILogger logger, Exception exception, string method, string path);

    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteIoError = 10;
    private const int SqliteFull = 13;
    private const int SqliteCantOpen = 14;

    // System.Text.Json counts lines and bytes from 0; editors and people count from 1
    private static string Describe(JsonException json) =>
        json.Path is { Length: > 0 } path
            ? $"The body is not valid JSON for this endpoint at '{path}' (line {json.LineNumber + 1}, byte {json.BytePositionInLine + 1}): {FirstSentence(json.Message)}"
            : $"The body is not valid JSON: {FirstSentence(json.Message)}";

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..(end + 1)];
    }
}
