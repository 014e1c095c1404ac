using System.Net;
using XRay.Sdk.Tests.Fakes;
using XRay.Testing;

namespace XRay.Sdk.Tests.Gateway;

/// <summary>
/// <see cref="XRayOptions.MaxBlobSize"/> against the real gateway: a data blob over it is dropped and counted as soon as
/// it passes it, and the blobs within it arrive. Before, a blob had no limit: an endless enumerable given to
/// <c>DataId</c> grew a worker's buffer until memory ran out, and a huge value was serialized whole.
/// </summary>
[Collection(RealGatewayCollection.Name)]
public sealed class BlobLimitTests(RealGatewayFixture fixture)
{
    private const int Limit = 1024 * 1024;

    [Fact]
    public async Task A_blob_over_MaxBlobSize_is_dropped_and_counted_and_the_blobs_within_it_arrive()
    {
        var endless = new Endless();
        var logs = new LogRecorder();
        var options = fixture.Options();
        options.MaxBlobSize = Limit;
        Trace trace;
        Guid atLimit, small, text;
        await using (var tracer = new XRayTracer(options, logs))
        {
            trace = tracer.CreateTrace("blobs");
            var over = new[]
            {
                trace.DataId(endless),
                trace.DataId(new { text = new string('x', Limit) }), // its quotes and name take it past the limit
                trace.DataText(new string('é', Limit / 2 + 1)), // 2 bytes a char in UTF-8
                trace.DataBytes(new byte[Limit + 1]),
            };
            atLimit = trace.DataBytes(new byte[Limit]);
            small = trace.DataId(new { ok = true });
            text = trace.DataText("a prompt");
            trace.Step("search", dataIds: [.. over, atLimit, small, text]);
            trace.Success();

            Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(60)), $"not everything was delivered: {tracer.Stats}");
            Assert.Equal(4, tracer.Stats.BlobsDropped);
            Assert.Equal(3, tracer.Stats.BlobsSent);
            Assert.Equal(3, tracer.Stats.EventsSent);
        }

        // writing stopped at the limit: a few bytes an item, so about a hundred thousand items, never the guard's millions
        Assert.True(endless.MostPulled < 500_000, $"the writer pulled {endless.MostPulled} items of a blob it could not send");
        var dropped = logs.Entries.Where(e => e.EventName == "BlobDropped").ToList();
        Assert.Equal(4, dropped.Count);
        Assert.All(dropped, e => Assert.Contains($"over XRay:MaxBlobSize, {Limit} bytes", e.Message, StringComparison.Ordinal));

        var stored = await fixture.GetTraceAsync(trace.TraceId);
        var data = stored!.Value.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("dataId").GetString()).Order().ToList();
        Assert.Equal(new[] { atLimit, small, text }.Select(id => id.ToString()).Order(), data);
        Assert.Equal(Limit, (await fixture.DownloadAsync(trace.TraceId, atLimit)).Length);
    }

    [Fact]
    public async Task The_default_MaxBlobSize_is_the_largest_blob_the_gateway_takes_by_default()
    {
        var largest = new XRayOptions().MaxBlobSize;
        var traceId = $"{fixture.Project.ProjectId}-{Guid.CreateVersion7()}";

        Assert.Equal(HttpStatusCode.OK, await PresignAsync(traceId, largest));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await PresignAsync(traceId, largest + 1));
    }

    private async Task<HttpStatusCode> PresignAsync(string traceId, long size)
    {
        var request = new { traceId, dataId = Guid.CreateVersion7().ToString(), contentType = "application/octet-stream", size };
        using var response = await fixture.Client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/presign", fixture.Project.ApiKey, request));
        return response.StatusCode;
    }
}
