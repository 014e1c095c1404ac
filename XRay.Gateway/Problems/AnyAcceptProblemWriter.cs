using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace XRay.Gateway.Problems;

/// <summary>
/// Writes, for a client whose <c>Accept</c> excludes JSON, the problems the gateway raises itself (an endpoint's or a
/// middleware's problem result). The framework's writer declines such a client, and the result then writes its problem
/// bare, without <see cref="ProblemDefaults"/>: no <c>requestId</c>. Registered after the framework's writer, so it
/// sees only what that one declined. The framework's own answers (a route's 404/405 from the status code pages, the
/// 500 of an unhandled exception) carry no title until written and stay as they were for such a client; an exception
/// <see cref="ProblemExceptionHandler"/> turns into a problem comes back here through its own fallback.
/// </summary>
internal sealed class AnyAcceptProblemWriter(IOptions<ProblemDetailsOptions> problems, IOptions<JsonOptions> json) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => context is { Exception: null, ProblemDetails.Title: not null };

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        problems.Value.CustomizeProblemDetails?.Invoke(context);
        var problem = context.ProblemDetails;
        var typeInfo = json.Value.SerializerOptions.GetTypeInfo(problem.GetType());
        return new ValueTask(context.HttpContext.Response.WriteAsJsonAsync(problem, typeInfo, "application/problem+json"));
    }
}
