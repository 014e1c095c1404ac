namespace XRay.Gateway.Hosting;

/// <summary>
/// API answers carry bearer tokens, API keys, signed blob URLs and tenants' traces. <c>Cache-Control: no-store</c> keeps
/// them out of browser and proxy caches (as RFC 6749 asks of answers that hand out tokens), and
/// <c>X-Content-Type-Options: nosniff</c> keeps a browser from reading one as anything but what it says it is. An
/// endpoint that sets its own <c>Cache-Control</c> (the public ingest schema) keeps it.
/// </summary>
public static class PrivateResponses
{
    /// <summary>Adds the headers to every answer under <c>/api</c>, problems included.</summary>
    public static IApplicationBuilder UsePrivateResponses(this IApplicationBuilder app) =>
        app.Use(static (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.OnStarting(static state =>
                {
                    var headers = ((HttpContext)state).Response.Headers;
                    if (string.IsNullOrEmpty(headers.CacheControl))
                    {
                        headers.CacheControl = "no-store";
                    }

                    headers.XContentTypeOptions = "nosniff";
                    return Task.CompletedTask;
                }, context);
            }

            return next(context);
        });
}
