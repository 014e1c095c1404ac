using System.Text.Json;

namespace XRay.Gateway.Tests;

/// <summary>What every refused request of the fuzz tests must get back: a problem document that says what was wrong.</summary>
internal static class ProblemAnswers
{
    /// <summary>
    /// Asserts that a 4xx answer is an RFC 7807 problem with its status and a <c>detail</c>, but for the few answers the
    /// framework gives before or without our problem handling (listed inside). <paramref name="context"/> names the request.
    /// </summary>
    public static void AssertProblem(HttpResponseMessage response, int status, string answer, string context)
    {
        if (answer.Length == 0 && response.Headers.ConnectionClose == true && status is 400 or 414 or 431)
        {
            return; // Kestrel refused the request line or headers (a NUL in the path, a line or header over its limit) before any middleware ran
        }

        if (response.RequestMessage?.Headers.Accept.Count > 0 && response.Content.Headers.ContentType?.MediaType == "text/plain"
            && answer.StartsWith($"Status Code: {status};", StringComparison.Ordinal))
        {
            return; // the client accepts no JSON: the framework's status code page, negotiated as plain text
        }

        if (answer.Length == 0 && status == 416 && response.Content.Headers.ContentRange is { Unit: "bytes", HasRange: false, Length: not null })
        {
            return; // a blob download's unsatisfiable Range: the file result answers as RFC 9110 says, with the blob's size in Content-Range
        }

        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"not a problem: {context}");
        using var problem = JsonDocument.Parse(answer);
        var root = problem.RootElement;
        Assert.True(root.TryGetProperty("status", out var code) && code.GetInt32() == status, $"the problem's status differs: {context}");
        Assert.False(root.TryGetProperty("traceId", out _), $"a problem names its request's id traceId, an X-Ray run's name: {context}");
        Assert.True(root.TryGetProperty("requestId", out var requestId) && requestId.ValueKind == JsonValueKind.String, $"a problem does not name its request: {context}");
        // Every problem says what was wrong in 'detail' (a validation problem also per field in 'errors'). The exceptions are
        // problems the framework raises without a detail: the authorization middleware's 403 (a valid token without a
        // subject, as TokenValidationTests accept) and a blob download's 412 (an If-Match or If-Unmodified-Since that fails).
        var named = root.TryGetProperty("detail", out var detail) && !string.IsNullOrWhiteSpace(detail.GetString());
        Assert.True(named || status is 401 or 403 or 412, $"a problem that does not say what was wrong: {context}");
    }
}
