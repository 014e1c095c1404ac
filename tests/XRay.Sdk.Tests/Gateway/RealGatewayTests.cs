using System.Text.Json;
using XRay.Sdk.Tests.Fakes;
using XRay.Testing;

namespace XRay.Sdk.Tests.Gateway;

/// <summary>The SDK against the real gateway process over HTTP, read back through the query API.</summary>
[Collection(RealGatewayCollection.Name)]
public sealed class RealGatewayTests(RealGatewayFixture fixture)
{
    private static Trace RecordPipeline(XRayTracer tracer, string name = "competitor-search")
    {
        var trace = tracer.CreateTrace(name, new { product = "laptop stand" });
        trace.Step("keywords", kind: "llm", input: "laptop stand", output: new[] { "laptop", "stand" });
        using (var search = trace.BeginStep("search", kind: "search", input: new { q = "laptop stand" }))
        {
            search.Candidates = new[] { new { asin = "B1", title = "Aluminium stand" }, new { asin = "B2", title = "Phone case" } };
        }

        trace.Capture("filter", () => new[] { "B1" }, kind: "filter");
        trace.Step("rank", kind: "rank", output: "B1", reasoning: "only candidate left");
        trace.Success(new { competitor = "B1" });
        return trace;
    }

    private static string[] StepNames(JsonElement trace) =>
        trace.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("name").GetString()!).ToArray();

    [Fact]
    public async Task A_trace_recorded_with_the_sdk_comes_back_with_every_step_in_order()
    {
        Trace trace;
        await using (var tracer = new XRayTracer(fixture.Options()))
        {
            trace = RecordPipeline(tracer);
            Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(0, tracer.Stats.EventsDropped);
        }

        var stored = await fixture.GetTraceAsync(trace.TraceId);

        Assert.NotNull(stored);
        Assert.Equal(["keywords", "search", "filter", "rank"], StepNames(stored.Value));
        Assert.Equal([1, 2, 3, 4], stored.Value.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("stepNumber").GetInt32()));
        Assert.Equal("success", stored.Value.GetProperty("status").GetString());
        Assert.Equal("competitor-search", stored.Value.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Data_blobs_are_uploaded_and_downloadable()
    {
        if (!await fixture.HasPresignAsync())
        {
            Assert.Skip("POST /api/v1/presign is not on this gateway yet; blob delivery is covered against the fake gateway.");
        }

        Trace trace;
        Guid json, text, bytes;
        await using (var tracer = new XRayTracer(fixture.Options()))
        {
            trace = tracer.CreateTrace("with-data");
            json = trace.DataId(new[] { new { asin = "B1", score = 0.9 } });
            text = trace.DataText("Pick the competitor of: laptop stand");
            bytes = trace.DataBytes([0, 1, 2, 255]);
            trace.Step("search", dataIds: [json, text, bytes]);
            trace.Success();
            Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(3, tracer.Stats.BlobsSent);
        }

        var stored = await fixture.GetTraceAsync(trace.TraceId);
        Assert.Equal(3, stored!.Value.GetProperty("data").GetArrayLength());
        Assert.Equal("B1", JsonDocument.Parse(await fixture.DownloadAsync(trace.TraceId, json)).RootElement[0].GetProperty("asin").GetString());
        Assert.Equal("Pick the competitor of: laptop stand", System.Text.Encoding.UTF8.GetString(await fixture.DownloadAsync(trace.TraceId, text)));
        Assert.Equal([0, 1, 2, 255], await fixture.DownloadAsync(trace.TraceId, bytes));
    }

    [Fact]
    public async Task Through_a_gateway_that_goes_down_errors_and_throttles_nothing_is_lost()
    {
        await using var proxy = await FaultProxy.StartAsync(fixture.Gateway.BaseAddress);
        var options = fixture.Options(proxy.BaseAddress);
        await using var tracer = new XRayTracer(options);

        await proxy.RefuseAsync();
        var whileDown = RecordPipeline(tracer, "while-down");
        await Wait.UntilAsync(() => tracer.Stats.Retries >= 2, "retries while the gateway is unreachable");
        await proxy.ListenAsync();

        proxy.Inject(Fault.ServerError, count: 2);
        var with500s = RecordPipeline(tracer, "with-500s");
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        proxy.RetryAfterSeconds = 1;
        proxy.Inject(Fault.TooManyRequests, count: 2);
        var with429s = RecordPipeline(tracer, "with-429s");
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(0, tracer.Stats.EventsDropped);
        Assert.Equal(18, tracer.Stats.EventsSent);
        foreach (var trace in new[] { whileDown, with500s, with429s })
        {
            var stored = await fixture.GetTraceAsync(trace.TraceId);
            Assert.NotNull(stored);
            Assert.Equal(["keywords", "search", "filter", "rank"], StepNames(stored.Value));
            Assert.Equal("success", stored.Value.GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task Events_spooled_by_a_tracer_that_never_got_through_are_sent_by_the_next_one()
    {
        var tempDir = TestTracers.NewTempDir();
        var unreachable = fixture.Options(new Uri($"http://127.0.0.1:{FreePorts.Next()}/"));
        unreachable.TempDir = tempDir;
        unreachable.ShutdownTimeout = TimeSpan.FromMilliseconds(200);
        Trace trace;
        await using (var first = new XRayTracer(unreachable))
        {
            trace = RecordPipeline(first);
            await Wait.UntilAsync(() => first.Stats.EventsSpooled == 6, "the trace spooled on disk");
        }

        Assert.Null(await fixture.GetTraceAsync(trace.TraceId));
        var next = fixture.Options();
        next.TempDir = tempDir;
        await using (var second = new XRayTracer(next))
        {
            Assert.True(await second.FlushAsync(TimeSpan.FromSeconds(30)));
        }

        var stored = await fixture.GetTraceAsync(trace.TraceId);
        Assert.NotNull(stored);
        Assert.Equal(["keywords", "search", "filter", "rank"], StepNames(stored.Value));
    }
}
