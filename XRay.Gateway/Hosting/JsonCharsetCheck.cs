using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace XRay.Gateway.Hosting;

/// <summary>
/// Checks the charset of a JSON body before an endpoint that accepts one reads it. Bodies are UTF-8: a charset naming
/// UTF-8 (<c>utf-8</c>, <c>utf8</c>, any case, quoted or not) or none is read, any other is a 415 problem naming it.
/// Without this the framework's JSON binder threw for a charset it has no encoding for (<c>charset=garbage</c>,
/// <c>charset=</c>, <c>charset=utf-7</c>), a 500 for what is bad input, and the ingest endpoint, which parses UTF-8
/// itself, read a body in another charset it does know (<c>utf-16</c>) as garbled UTF-8.
/// </summary>
public static class JsonCharsetCheck
{
    /// <summary>Adds the check; call it after routing and authorization, so it sees the endpoint and only callers it admits.</summary>
    public static IApplicationBuilder UseJsonCharsetCheck(this IApplicationBuilder app) =>
        app.Use(static (context, next) =>
        {
            var request = context.Request;
            if (request.ContentType is not { } contentType
                || !contentType.Contains(';', StringComparison.Ordinal) // no parameters, so no charset: the common case, no parse
                || context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is null
                || !MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
                || !(mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase))
                || mediaType.Charset is not { HasValue: true } charset)
            {
                return next(context); // no JSON body, or no charset: the binder decides
            }

            var unquoted = HeaderUtilities.RemoveQuotes(charset);
            if (unquoted.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || unquoted.Equals("utf8", StringComparison.OrdinalIgnoreCase))
            {
                if (!charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
                {
                    // Quoted (valid HTTP the binder does not unquote) or the common "utf8", which .NET does not know by that name.
                    mediaType.Charset = "utf-8";
                    request.ContentType = mediaType.ToString();
                }

                return next(context);
            }

            return Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported charset",
                detail: $"The Content-Type names the charset '{unquoted}'; JSON bodies are read as UTF-8 only (charset=utf-8, or no charset).")
                .ExecuteAsync(context);
        });
}
