namespace XRay.Sdk.Http;

/// <summary>
/// Reads at most a cap of an answer's body: a broken proxy or a hostile server answering a body of a gigabyte, or one
/// that never ends, must not make the uploader buffer it. What is past the cap is never read; disposing the response
/// then closes the connection.
/// </summary>
internal static class BoundedBody
{
    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// The body's first bytes, at most <paramref name="max"/>, without a UTF-8 byte order mark; <c>Complete</c> is false
    /// when the body went on past them. A network failure while reading throws, as reading the whole body would.
    /// </summary>
    public static async Task<(ReadOnlyMemory<byte> Bytes, bool Complete)> ReadAsync(HttpContent content, int max, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            // one byte past the cap tells a body of exactly the cap from a longer one; the Content-Length is capped before that
            // byte is added, or a claimed long.MaxValue overflows to an empty buffer, and the body reads as empty and complete
            var buffer = new byte[content.Headers.ContentLength is { } length and >= 0 ? Math.Min(length, max) + 1 : Math.Min(max + 1L, 16 * 1024)];
            var filled = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false)) > 0)
            {
                filled += read;
                if (filled > max)
                {
                    return (Trim(buffer.AsMemory(0, max)), false);
                }

                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, (int)Math.Min(max + 1L, buffer.Length * 2L));
                }
            }

            return (Trim(buffer.AsMemory(0, filled)), true);
        }
    }

    private static ReadOnlyMemory<byte> Trim(ReadOnlyMemory<byte> body) =>
        body.Span.StartsWith(Utf8Bom) ? body[Utf8Bom.Length..] : body;
}
