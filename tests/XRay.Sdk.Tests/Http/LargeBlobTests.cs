using XRay.Sdk.Tests.Fakes;

namespace XRay.Sdk.Tests.Http;

/// <summary>A blob that takes longer to cross the link than <see cref="XRayOptions.RequestTimeout"/> is still delivered.</summary>
public sealed class LargeBlobTests : IAsyncLifetime
{
    private FakeGateway _gateway = null!;

    public async ValueTask InitializeAsync() => _gateway = await FakeGateway.StartAsync();

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task A_blob_slower_to_upload_than_the_request_timeout_is_delivered_in_one_attempt()
    {
        // 4 MiB are allowed 4 s beyond the 0.5 s timeout; over a link of 4 MiB/s they take 1 s. With one fixed timeout
        // every attempt was cut off at 0.5 s and retried for ever, holding back every blob behind it.
        _gateway.UploadBytesPerSecond = 4 << 20;
        var options = TestTracers.Options(_gateway.BaseAddress);
        options.RequestTimeout = TimeSpan.FromMilliseconds(500);
        await using var tracer = new XRayTracer(options);
        var trace = tracer.CreateTrace("run");
        var large = trace.DataBytes(new byte[4 << 20]);
        var small = trace.DataBytes([1, 2, 3]);
        trace.Success();

        var flushed = await tracer.FlushAsync(TimeSpan.FromSeconds(60));
        Assert.True(flushed, $"the large blob was never delivered: uploads {_gateway.Uploads}, blobs {_gateway.Blobs.Count}, stats {tracer.Stats}");
        Assert.Equal(4 << 20, _gateway.Blobs[large.ToString()].Length);
        Assert.True(_gateway.Blobs.ContainsKey(small.ToString()));
        Assert.Equal(0, tracer.Stats.BlobsDropped);
    }
}
