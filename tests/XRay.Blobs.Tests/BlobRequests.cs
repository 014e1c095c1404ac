using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using XRay.Gateway.Blobs;
using XRay.Grains.Ids;
using XRay.Testing;

namespace XRay.Blobs.Tests;

/// <summary>What an SDK and a browser do with signed URLs, plus the ways an attacker alters them.</summary>
public static class BlobRequests
{
    public static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };

    public static BlobKey NewKey(string? projectId = null)
    {
        Assert.True(BlobKey.TryCreate(TraceIds.New(projectId ?? ObjectIds.NewId(DateTimeOffset.UtcNow)), Guid.CreateVersion7().ToString(), out var key));
        return key;
    }

    public static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Sends a body to an upload URL with the headers the presign answer named.</summary>
    public static Task<HttpResponseMessage> PutAsync(Uri url, IReadOnlyDictionary<string, string> headers, HttpContent content, string method = "PUT")
    {
        var request = new HttpRequestMessage(new HttpMethod(method), url) { Content = content };
        foreach (var (name, value) in headers)
        {
            if (name.Equals("content-type", StringComparison.OrdinalIgnoreCase))
            {
                content.Headers.ContentType = MediaTypeHeaderValue.Parse(value);
            }
            else if (!name.Equals("content-length", StringComparison.OrdinalIgnoreCase)) // HttpClient sends the real length itself
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return Http.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PutAsync(PresignedRequest upload, byte[] body) => PutAsync(upload.Url, upload.Headers, new ByteArrayContent(body));

    /// <summary>The URL with one query parameter changed.</summary>
    public static Uri WithParameter(Uri url, string name, Func<string, string> change)
    {
        var parts = url.Query.TrimStart('?').Split('&');
        var index = Array.FindIndex(parts, p => p.StartsWith(name + "=", StringComparison.Ordinal));
        Assert.True(index >= 0, $"{url} has no parameter {name}");
        parts[index] = name + "=" + change(parts[index][(name.Length + 1)..]);
        return new UriBuilder(url) { Query = string.Join('&', parts) }.Uri;
    }

    /// <summary>A different character that is valid in hex and in base64url.</summary>
    public static string FlipFirst(string value) => (value[0] == 'a' ? 'b' : 'a') + value[1..];

    /// <summary>The URL pointed at another object of the same trace.</summary>
    public static Uri WithOtherObject(Uri url, BlobKey key) =>
        new(url.ToString().Replace(key.DataId, Guid.CreateVersion7().ToString(), StringComparison.Ordinal));

    /// <summary>
    /// One HTTP/1.1 request written by hand, for a <c>Host</c> header <see cref="HttpClient"/> refuses to send (it validates
    /// the value); answers the status and the body.
    /// </summary>
    public static async Task<(HttpStatusCode Status, string Body)> SendRawAsync(
        Uri gateway, string method, string path, string host, IReadOnlyDictionary<string, string> headers, string? jsonBody = null)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(gateway.Host, gateway.Port);
        await using var stream = tcp.GetStream();
        var body = System.Text.Encoding.UTF8.GetBytes(jsonBody ?? string.Empty);
        var head = new System.Text.StringBuilder($"{method} /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(System.Globalization.CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }

        if (jsonBody is not null)
        {
            head.Append(System.Globalization.CultureInfo.InvariantCulture, $"Content-Type: application/json\r\nContent-Length: {body.Length}\r\n");
        }

        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()));
        await stream.WriteAsync(body);
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
        var response = await reader.ReadToEndAsync(); // the server closes the connection after its answer
        var status = int.Parse(response.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        var separator = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return ((HttpStatusCode)status, separator < 0 ? string.Empty : response[(separator + 4)..]);
    }

    /// <summary>
    /// The metadata reaches the store through the ingest log, after the presign answer: this read has no read fence, so it
    /// waits as long as the fence does in tests and more (a consumer starved on a loaded machine took seconds).
    /// </summary>
    public static async Task<JsonElement> WaitForDataAsync(this HttpClient client, string token, string traceId, string dataId)
    {
        var data = await Poll.UntilAsync(
            () => client.GetIfFoundAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/traces/{traceId}/data/{dataId}", token)),
            found => found is not null,
            TimeSpan.FromSeconds(60),
            $"the row of data {dataId} to arrive");
        return data!.Value;
    }
}
