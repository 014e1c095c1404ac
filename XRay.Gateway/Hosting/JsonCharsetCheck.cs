using System.Text;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace XRay.Gateway.Hosting;

/// <summary>
/// Checks the charset of a JSON body before an endpoint that accepts one reads it. The framework's JSON binder throws
/// <see cref="InvalidOperationException"/> for a charset it has no encoding for (<c>charset=garbage</c>, <c>charset=</c>,
/// <c>charset=utf-7</c>), which would be a 500 for what is bad input: such a request gets 415 naming the charset, as MVC
/// answers. A quoted charset (<c>charset="utf-8"</c>, valid HTTP that the binder does not unquote) is unquoted first.
/// </summary>
public static class JsonCharsetCheck
{
    /// <summary>Adds the check; call it after routing and authorization, so it sees the endpoint and only callers it admits.</summary>
    public static IApplicationBuilder UseJsonCharsetCheck(this IApplicationBuilder app) =>
        app.Use(static (context, next) =>
        {
            var request = context.Request;
            if (context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is null
                || !MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
                || !(mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase))
                || mediaType.Charset is not { HasValue: true } charset)
            {
                return next(context); // no JSON body, or no charset: the binder decides
            }

            var unquoted = HeaderUtilities.RemoveQuotes(charset);
            if (IsKnown(unquoted))
            {
                if (unquoted.Length != charset.Length)
                {
                    mediaType.Charset = unquoted;
                    request.ContentType = mediaType.ToString();
                }

                return next(context);
            }

            return Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported charset",
                detail: $"The Content-Type names the charset '{unquoted}', which is not an encoding this server reads; send the JSON body as UTF-8 (charset=utf-8, or no charset).")
                .ExecuteAsync(context);
        });

    /// <summary>Whether the framework's JSON binder has an encoding for <paramref name="charset"/> (it asks <see cref="Encoding.GetEncoding(string)"/>).</summary>
    private static bool IsKnown(StringSegment charset)
    {
        if (charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        try
        {
            Encoding.GetEncoding(charset.Value!);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            return false;
        }
    }
}
