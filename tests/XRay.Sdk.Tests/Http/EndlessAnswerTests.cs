using XRay.Sdk.Tests.Fakes;

namespace XRay.Sdk.Tests.Http;

/// <summary>
/// A broken proxy or a hostile server that answers with a body that never ends: the uploader reads a bounded part of it,
/// closes the connection, treats the answer as unreadable, and goes on with the next entry. Before, it buffered the
/// whole body (a 1 GB answer held 1 GB, an endless one grew until the process died).
/// </summary>
public sealed class EndlessAnswerTests : IAsyncLifetime
{
    private FakeGateway _gateway = null!;

    public async ValueTask InitializeAsync() => _gateway = await FakeGateway.StartAsync();

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    /// <summary>An attempt's timeout long enough that it is never what cuts the answer short.</summary>
    private XRayOptions Options()
    {
        var options = TestTracers.Options(_gateway.BaseAddress);
        options.RequestTimeout = TimeSpan.FromMinutes(2);
        return options;
    }

    private async Task<FloodEnd> FloodEndAsync()
    {
        await Wait.UntilAsync(() => !_gateway.Floods.IsEmpty, "the endless answer to end");
        var flood = Assert.Single(_gateway.Floods);
        // the client closed the connection after reading its cap (plus what the socket buffers and the handler's drain take),
        // long before the fake would have stopped on its own
        Assert.True(flood.CutByClient, $"the client read all {flood.Bytes} bytes the fake streamed");
        Assert.True(flood.Bytes < FakeGateway.FloodLimitBytes / 2, $"{flood.Bytes} bytes streamed before the client closed");
        return flood;
    }

    [Theory]
    [InlineData(202)] // an ingest answer the SDK parses for its rejections
    [InlineData(400)] // an error body, read for its detail and a problem's limits
    [InlineData(500)]
    public async Task An_endless_answer_to_an_ingest_is_cut_short_and_the_next_batch_is_delivered(int status)
    {
        _gateway.Flood("/api/v1/ingest", status);
        var options = Options();
        options.MaxServerErrorAttempts = 2;
        await using var tracer = new XRayTracer(options);
        tracer.CreateTrace("flooded").Step("first");
        await FloodEndAsync();

        var next = tracer.CreateTrace("next");
        next.Step("second");
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal("second", Assert.Single(_gateway.StepsOf(next.TraceId)).GetProperty("name").GetString());
        var stats = tracer.Stats;
        Assert.Equal(4, stats.EventsSent + stats.EventsDropped);
    }

    [Fact]
    public async Task An_endless_answer_to_a_presign_is_cut_short_and_the_blob_is_delivered_on_a_fresh_presign()
    {
        _gateway.Flood("/api/v1/presign", 200);
        await using var tracer = new XRayTracer(Options());
        var trace = tracer.CreateTrace("run");
        var first = trace.DataId(new { n = 1 });
        await FloodEndAsync();

        var second = trace.DataId(new { n = 2 });
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        Assert.True(_gateway.Blobs.ContainsKey(first.ToString()), "the blob whose presign answer was endless was not sent on a retry");
        Assert.True(_gateway.Blobs.ContainsKey(second.ToString()), "the blob behind it was not sent");
        Assert.Equal(2, tracer.Stats.BlobsSent);
        Assert.Equal(0, tracer.Stats.BlobsDropped);
    }
}
