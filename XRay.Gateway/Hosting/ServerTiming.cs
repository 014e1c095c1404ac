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
                var (context, started) = ((HttpContext, long))state;
                var total = string.Create(CultureInfo.InvariantCulture, $"app;dur={Stopwatch.GetElapsedTime(started).TotalMilliseconds:0.###}");
                context.Response.Headers[HeaderName] = context.Items.TryGetValue(PhasesKey, out var phases) && phases is List<string> parts
                    ? total + ", " + string.Join(", ", parts)
                    : total;
                return Task.CompletedTask;
            }, (context, Stopwatch.GetTimestamp()));
            return next(context);
        });

    private static readonly object PhasesKey = new();

    /// <summary>
    /// Adds a named phase (<c>name;dur=…</c>) to the request's <c>Server-Timing</c>: the time since
    /// <paramref name="startedAt"/> (a <see cref="Stopwatch"/> timestamp). Returns the current timestamp, for the next phase.
    /// </summary>
    public static long Phase(HttpContext context, string name, long startedAt)
    {
        var now = Stopwatch.GetTimestamp();
        if (!context.Items.TryGetValue(PhasesKey, out var phases) || phases is not List<string> parts)
        {
            parts = new List<string>(4);
            context.Items[PhasesKey] = parts;
        }

        parts.Add(string.Create(CultureInfo.InvariantCulture, $"{name};dur={Stopwatch.GetElapsedTime(startedAt, now).TotalMilliseconds:0.###}"));
        return now;
    }
}
