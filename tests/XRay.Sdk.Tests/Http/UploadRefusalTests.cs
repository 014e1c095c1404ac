using Microsoft.Extensions.Logging;
using XRay.Sdk.Tests.Fakes;
using XRay.Sdk.Uploading;

namespace XRay.Sdk.Tests.Http;

/// <summary>
/// A blob store that refuses an upload to a presigned URL (<c>403</c>, <c>400</c>: an expired URL, a skewed clock) may
/// take the same bytes on a fresh URL: the upload is presigned again and retried, a bounded number of times, before it
/// is dropped and counted. Before, the first refusal was final. A refusal of the presign by the gateway stays final.
/// </summary>
public sealed class UploadRefusalTests : IAsyncLifetime
{
    private FakeGateway _gateway = null!;

    public async ValueTask InitializeAsync() => _gateway = await FakeGateway.StartAsync();

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    private static bool IsText(string contentType) => contentType.StartsWith("text/plain", StringComparison.Ordinal);

    [Theory]
    [InlineData(403)]
    [InlineData(400)]
    public async Task An_upload_the_store_refuses_once_is_presigned_again_and_delivered_once(int status)
    {
        _gateway.UploadRefusal = (_, attempt) => attempt == 1 ? status : null;
        await using var tracer = new XRayTracer(TestTracers.Options(_gateway.BaseAddress));
        var id = tracer.CreateTrace("run").DataId(new { n = 1 }).ToString();

        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        Assert.True(_gateway.Blobs.ContainsKey(id), "the blob was not delivered after its upload was refused once");
        Assert.Equal(2, _gateway.UploadAttempts[id]);
        Assert.Equal(2, _gateway.Presigns[id]); // each upload to a URL of its own
        Assert.Equal(1, _gateway.Uploads);
        var stats = tracer.Stats;
        Assert.Equal(1, stats.BlobsSent);
        Assert.Equal(0, stats.BlobsDropped);
        Assert.Equal(1, stats.Retries);
    }

    [Fact]
    public async Task An_upload_the_store_refuses_every_time_is_dropped_and_counted_after_the_bound_and_the_blob_behind_it_is_sent()
    {
        _gateway.UploadRefusal = (contentType, _) => IsText(contentType) ? 403 : null;
        var logs = new LogRecorder();
        await using var tracer = new XRayTracer(TestTracers.Options(_gateway.BaseAddress), logs);
        var trace = tracer.CreateTrace("run");
        var refused = trace.DataText("the store refuses this one every time").ToString();
        await Wait.UntilAsync(() => _gateway.UploadAttempts.ContainsKey(refused), "the first upload of the refused blob");
        var behind = trace.DataId(new { n = 1 }).ToString();

        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(DeliveryPolicy.MaxUploadRefusals, _gateway.UploadAttempts[refused]);
        Assert.Equal(DeliveryPolicy.MaxUploadRefusals, _gateway.Presigns[refused]);
        Assert.False(_gateway.Blobs.ContainsKey(refused));
        Assert.True(_gateway.Blobs.ContainsKey(behind), "the blob behind the refused one was not sent");
        var stats = tracer.Stats;
        Assert.Equal(1, stats.BlobsDropped);
        Assert.Equal(1, stats.BlobsSent);
        var dropped = Assert.Single(logs.Entries, e => e.EventName == "BlobDropped");
        Assert.Equal(LogLevel.Warning, dropped.Level);
        Assert.Contains($"b_{Guid.Parse(refused):N}", dropped.Message, StringComparison.Ordinal);
        Assert.Contains("403", dropped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_presign_the_gateway_refuses_with_403_stays_final()
    {
        _gateway.RefusesPresign = body => IsText(body.GetProperty("contentType").GetString()!);
        await using var tracer = new XRayTracer(TestTracers.Options(_gateway.BaseAddress));
        var trace = tracer.CreateTrace("run");
        var refused = trace.DataText("the gateway refuses to sign this one").ToString();
        var behind = trace.DataId(new { n = 1 }).ToString();

        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(1, _gateway.Presigns[refused]);
        Assert.False(_gateway.UploadAttempts.ContainsKey(refused));
        Assert.True(_gateway.Blobs.ContainsKey(behind));
        Assert.Equal(1, tracer.Stats.BlobsDropped);
        Assert.Equal(0, tracer.Stats.Retries);
    }
}
