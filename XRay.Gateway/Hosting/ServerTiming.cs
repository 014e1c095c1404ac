using System.Diagnostics;
using System.Globalization;

namespace XRay.Gateway.Hosting;

/// <summary>
/// Adds a W3C <c>Server-Timing: app;dur=…</c> header (milliseconds) to every response: the time the server spent
/// on the request, from the start of the middleware pipeline until the response starts. Browser tools show it, and
/// the load tool reports it beside the latency its clients observe, so server time and client-side queueing can be
/// told apart. Sign-up and sign-in answers carry none: their timing is kept as uniform as their bodies.
/// </summary>
public static class ServerTiming
{
    public const string HeaderName = "Server-Timing";

    /// <summary>Adds the middleware; call it first, so the measured time covers the rest of the pipeline.</summary>
    public static IApplicationBuilder UseServerTiming(this IApplicationBuilder app) =>
        app.Use(static (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/api/v1/auth", StringComparison.OrdinalIgnoreCase))
            {
                return next(context);
            }

            context.Response.OnStarting(static state =>
            {
                var (response, started) = ((HttpResponse, long))state;
                response.Headers[HeaderName] = string.Create(CultureInfo.InvariantCulture, $"app;dur={Stopwatch.GetElapsedTime(started).TotalMilliseconds:0.###}");
                return Task.CompletedTask;
            }, (context.Response, Stopwatch.GetTimestamp()));
            return next(context);
        });
}
