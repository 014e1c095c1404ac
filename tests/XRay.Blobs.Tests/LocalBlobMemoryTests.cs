using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using XRay.Grains.Ids;
using XRay.Testing;
using static XRay.Blobs.Tests.BlobRequests;

namespace XRay.Blobs.Tests;

/// <summary>
/// A 50 MiB blob goes up and down through the local store while we watch the gateway's peak resident
/// memory (<c>VmHWM</c>): streaming keeps its growth far below the blob's size. Figures: docs/benchmarks.md.
/// </summary>
public sealed class LocalBlobMemoryTests(ITestOutputHelper output)
{
    private const int BlobBytes = 50 * 1024 * 1024;

    [Fact]
    public async Task A_50_MiB_blob_streams_through_the_gateway_without_being_held_in_memory()
    {
        Assert.SkipUnless(File.Exists("/proc/self/status"), "needs /proc to read the gateway's peak memory");
        await using var gateway = new GatewayProcess();
        await gateway.StartAsync();
        using var client = gateway.CreateClient();
        var owner = await client.RegisterAndLoginAsync();
        var project = await client.CreateProjectWithKeyAsync(owner);
        var pid = gateway.ProcessId!.Value;

        await RoundTripAsync(client, project.ApiKey, owner.Token, TraceIds.New(project.ProjectId), RandomBytes(1024 * 1024)); // warm up code paths and pools
        var before = PeakAndCurrent(pid);
        var bytes = RandomBytes(BlobBytes);
        var (upload, download) = await RoundTripAsync(client, project.ApiKey, owner.Token, TraceIds.New(project.ProjectId), bytes);
        var after = PeakAndCurrent(pid);

        var growth = after.PeakKib - before.PeakKib;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"blob {BlobBytes / 1024} KiB; gateway VmHWM {before.PeakKib} -> {after.PeakKib} KiB (+{growth} KiB), VmRSS {before.CurrentKib} -> {after.CurrentKib} KiB; upload {upload.TotalMilliseconds:F0} ms, download {download.TotalMilliseconds:F0} ms"));
        // Buffering the blob would raise the peak by at least its 51200 KiB; streaming stays at a few buffers.
        Assert.True(growth < BlobBytes / 1024 / 2, $"peak memory grew by {growth} KiB for a {BlobBytes / 1024} KiB blob");
    }

    private static async Task<(TimeSpan Upload, TimeSpan Download)> RoundTripAsync(HttpClient client, string apiKey, string token, string traceId, byte[] bytes)
    {
        var dataId = Guid.CreateVersion7().ToString();
        using var presign = await client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/presign", apiKey,
            new { traceId, dataId, contentType = "application/octet-stream", size = bytes.Length }));
        await XRayApi.EnsureAsync(presign, HttpStatusCode.OK);
        var upload = await presign.Content.ReadFromJsonAsync<JsonElement>();
        var headers = upload.GetProperty("headers").Deserialize<Dictionary<string, string>>()!;

        var started = TimeProvider.System.GetTimestamp();
        using (var put = await PutAsync(new Uri(upload.GetProperty("url").GetString()!), headers, new ByteArrayContent(bytes)))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        var uploaded = TimeProvider.System.GetElapsedTime(started);
        var download = await client.WaitForDataAsync(token, traceId, dataId);
        started = TimeProvider.System.GetTimestamp();
        using var get = await client.GetAsync(download.GetProperty("url").GetString(), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(bytes.Length, get.Content.Headers.ContentLength);
        var hash = await SHA256.HashDataAsync(await get.Content.ReadAsStreamAsync());
        Assert.Equal(SHA256.HashData(bytes), hash);
        return (uploaded, TimeProvider.System.GetElapsedTime(started));
    }

    private static (long PeakKib, long CurrentKib) PeakAndCurrent(int pid)
    {
        var lines = File.ReadAllLines($"/proc/{pid}/status");
        long Read(string name) => long.Parse(lines.Single(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return (Read("VmHWM"), Read("VmRSS"));
    }
}
