using System.Text;
using System.Text.Json;
using XRay.Sdk.Tests.Fakes;
using XRay.Testing;

namespace XRay.Sdk.Tests.Http;

/// <summary>The whole SDK over real HTTP against a gateway that implements docs/events.md.</summary>
public sealed class TracerTests : IAsyncLifetime
{
    private FakeGateway _gateway = null!;

    public async ValueTask InitializeAsync() => _gateway = await FakeGateway.StartAsync();

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task A_trace_arrives_whole_steps_in_order_with_its_data_blobs()
    {
        var tracer = new XRayTracer(TestTracers.Options(_gateway.BaseAddress));
        Trace trace;
        Guid candidatesId, promptId, bytesId;
        await using (tracer)
        {
            trace = tracer.CreateTrace("competitor-search", new { product = "laptop stand" });
            trace.Step("keywords", kind: "llm", input: "laptop stand", output: new[] { "stand", "laptop" }, reasoning: "nouns");
            candidatesId = trace.DataId(new[] { new { asin = "B1", title = "Stand" }, new { asin = "B2", title = "Case" } });
            promptId = trace.DataText("Pick the best competitor");
            bytesId = trace.DataBytes([1, 2, 3]);
            using (var step = trace.BeginStep("search", kind: "search", input: new { q = "stand" }))
            {
                step.Candidates = new[] { "B1", "B2" };
                step.AddDataId(candidatesId);
                step.AddDataId(promptId);
            }

            var kept = trace.Capture("filter", () => new[] { "B1" }, kind: "filter");
            var ranked = await trace.CaptureAsync("rank", async () =>
            {
                await Task.Yield();
                return kept[0];
            }, kind: "rank");
            trace.Success(new { winner = ranked });
        }

        var steps = _gateway.StepsOf(trace.TraceId);
        Assert.Equal(["keywords", "search", "filter", "rank"], steps.Select(s => s.GetProperty("name").GetString()));
        Assert.Equal([1, 2, 3, 4], steps.Select(s => s.GetProperty("stepNumber").GetInt32()));
        Assert.Equal("nouns", steps[0].GetProperty("reasoning").GetString());
        Assert.Equal(2, steps[1].GetProperty("dataIds").GetArrayLength());
        Assert.True(steps[1].GetProperty("endedAt").GetDateTime() >= steps[1].GetProperty("startedAt").GetDateTime());
        Assert.Equal("B1", steps[2].GetProperty("output")[0].GetString());
        Assert.Contains(_gateway.Events.Values, e => e.GetProperty("type").GetString() == "trace" && e.GetProperty("metadata").GetProperty("product").GetString() == "laptop stand");
        Assert.Contains(_gateway.Events.Values, e => e.GetProperty("type").GetString() == "success" && e.GetProperty("output").GetProperty("winner").GetString() == "B1");

        var candidates = JsonDocument.Parse(_gateway.Blobs[candidatesId.ToString()]).RootElement;
        Assert.Equal("Case", candidates[1].GetProperty("title").GetString());
        Assert.Equal("application/json", _gateway.BlobContentTypes[candidatesId.ToString()]);
        Assert.Equal("Pick the best competitor", Encoding.UTF8.GetString(_gateway.Blobs[promptId.ToString()]));
        Assert.Equal([1, 2, 3], _gateway.Blobs[bytesId.ToString()]);

        var stats = tracer.Stats;
        Assert.Equal(6, stats.EventsRecorded);
        Assert.Equal(6, stats.EventsSent);
        Assert.Equal(0, stats.EventsDropped);
        Assert.Equal(3, stats.BlobsSent);
        Assert.Equal(0, stats.SpoolBytes);
    }

    [Fact]
    public async Task What_the_SDK_sends_is_valid_by_the_event_contracts_JSON_Schema()
    {
        var tracer = new XRayTracer(TestTracers.Options(_gateway.BaseAddress));
        await using (tracer)
        {
            var succeeded = tracer.CreateTrace("competitor-search", new { product = "laptop stand", tags = new[] { "a", "b" } });
            succeeded.Step("keywords", kind: "llm", input: "laptop stand", output: new[] { "stand" }, reasoning: "nouns");
            using (var step = succeeded.BeginStep("search", kind: "search", input: new { q = "stand" }))
            {
                step.Candidates = new[] { new { asin = "B1", score = 0.9 } };
                step.AddDataId(succeeded.DataText("prompt"));
            }

            succeeded.Error("rank", new TimeoutException("ranker timed out"), kind: "rank");
            succeeded.Success(new { winner = "B1" });

            var failed = tracer.CreateTrace("without-metadata");
            failed.Step("only", output: null);
            failed.Failure(new InvalidOperationException("no competitor"));
            tracer.CreateTrace("failed-by-message").Failure("gave up");
        }

        Assert.NotEmpty(_gateway.Batches);
        Assert.Equal(["error", "failure", "step", "success", "trace"], _gateway.Events.Values.Select(e => e.GetProperty("type").GetString()).Distinct().Order());
        Assert.All(_gateway.Batches, batch => Assert.Null(IngestSchema.Problems(batch)));
    }

    [Fact]
    public async Task Capture_records_an_error_step_and_rethrows_the_same_exception()
    {
        var boom = new TimeoutException("search backend timed out");
        await using var tracer = new XRayTracer(TestTracers.Options(_gateway.BaseAddress));
        var trace = tracer.CreateTrace("run");

        var thrown = Assert.Throws<TimeoutException>(() => trace.Capture<int>("search", () => throw boom));
        var thrownAsync = await Assert.ThrowsAsync<TimeoutException>(() => trace.CaptureAsync("rank", () => Task.FromException(boom)));
        trace.Failure(boom);
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        Assert.Same(boom, thrown);
        Assert.Same(boom, thrownAsync);
        var steps = _gateway.StepsOf(trace.TraceId);
        Assert.All(steps, s => Assert.Equal("error", s.GetProperty("type").GetString()));
        Assert.Equal("TimeoutException", steps[0].GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("search backend timed out", steps[1].GetProperty("error").GetProperty("message").GetString());
        Assert.Contains(_gateway.Events.Values, e => e.GetProperty("type").GetString() == "failure");
    }

    [Fact]
    public async Task Events_the_gateway_rejects_are_counted_as_dropped_and_not_resent()
    {
        await using var tracer = new XRayTracer(TestTracers.Options(_gateway.BaseAddress));
        var trace = tracer.CreateTrace("run");
        trace.Step("fine");
        trace.Step(_gateway.RejectName);
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(1, tracer.Stats.EventsDropped);
        Assert.Equal(2, tracer.Stats.EventsSent);
        Assert.Equal(1, _gateway.IngestRequests);
    }

    [Fact]
    public async Task A_batch_the_gateway_refuses_as_a_whole_is_dropped_not_retried_forever()
    {
        var options = TestTracers.Options(_gateway.BaseAddress, apiKey: "xray_wrong");
        await using var tracer = new XRayTracer(options);
        var trace = tracer.CreateTrace("run");
        trace.Step("a");

        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(2, tracer.Stats.EventsDropped);
        Assert.Equal(0, tracer.Stats.Retries);
    }

    [Fact]
    public async Task An_unwritable_temp_dir_falls_back_to_memory_and_still_delivers()
    {
        var file = Path.Combine(TestTracers.NewTempDir(), "file");
        await File.WriteAllTextAsync(file, "x", TestContext.Current.CancellationToken);
        await using var tracer = new XRayTracer(TestTracers.Options(_gateway.BaseAddress, tempDir: Path.Combine(file, "spool")));
        var trace = tracer.CreateTrace("run");
        trace.Step("a");
        trace.DataId(new { a = 1 });

        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        Assert.False(tracer.Stats.SpoolIsDisk);
        Assert.Equal(2, tracer.Stats.EventsSent);
        Assert.Equal(1, tracer.Stats.BlobsSent);
    }

    [Fact]
    public async Task A_full_queue_drops_and_counts_instead_of_blocking()
    {
        var options = TestTracers.Options(_gateway.BaseAddress);
        options.MaxQueueSize = 2;
        options.WorkerPoolSize = 1;
        await using var tracer = new XRayTracer(options);
        var trace = tracer.CreateTrace("run");
        var payload = Enumerable.Range(0, 200).ToArray();
        for (var i = 0; i < 20_000; i++)
        {
            trace.Step("s", input: payload);
        }

        await tracer.FlushAsync(TimeSpan.FromSeconds(30));

        var stats = tracer.Stats;
        Assert.True(stats.EventsDropped > 0, "a two-slot queue cannot keep up with 20 000 steps");
        Assert.Equal(20_001, stats.EventsRecorded);
        Assert.Equal(stats.EventsRecorded, stats.EventsSent + stats.EventsDropped);
    }

    [Fact]
    public async Task An_unserializable_value_is_written_as_text_and_the_step_survives()
    {
        await using var tracer = new XRayTracer(TestTracers.Options(_gateway.BaseAddress));
        var trace = tracer.CreateTrace("run");
        trace.Step("odd", input: new SelfReferencing());
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        var step = Assert.Single(_gateway.StepsOf(trace.TraceId));
        Assert.Equal(nameof(SelfReferencing), step.GetProperty("input").GetString()?.Split('+', '.').Last());
    }

    [Fact]
    public async Task A_trace_used_after_its_tracer_is_disposed_drops_and_counts_without_throwing()
    {
        var tracer = new XRayTracer(TestTracers.Options(_gateway.BaseAddress));
        var trace = tracer.CreateTrace("run");
        await tracer.DisposeAsync();

        trace.Step("late");
        trace.DataId(new { late = true });
        using (trace.BeginStep("later"))
        {
        }

        trace.Success();
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(1)));
        await tracer.DisposeAsync();
        Assert.Equal(3, tracer.Stats.EventsDropped);
        Assert.Equal(1, tracer.Stats.BlobsDropped);
        Assert.Equal(1, tracer.Stats.EventsSent);
    }

    [Fact]
    public async Task A_trace_created_after_its_tracer_is_disposed_is_a_counted_drop_too()
    {
        var tracer = new XRayTracer(TestTracers.Options(_gateway.BaseAddress));
        await tracer.DisposeAsync();

        var trace = tracer.CreateTrace("late");
        trace.Step("a");
        trace.DataId(new { late = true });
        trace.Success();

        Assert.Equal(3, tracer.Stats.EventsRecorded);
        Assert.Equal(3, tracer.Stats.EventsDropped);
        Assert.Equal(1, tracer.Stats.BlobsDropped);
    }

    [Fact]
    public async Task A_logger_that_throws_does_not_stop_the_tracer_from_sending()
    {
        // Microsoft's own logger rethrows what a provider throws (a file logger on a full disk, say) as an AggregateException
        await using var tracer = new XRayTracer(TestTracers.Options(_gateway.BaseAddress), new ThrowingLoggerFactory());
        var trace = tracer.CreateTrace("run");
        trace.Step(_gateway.RejectName); // rejected by the gateway: the tracer logs a warning
        trace.Step("big", input: new string('x', 300 * 1024)); // over the event limit: dropped with a warning, on a worker
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        trace.Step("after");
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(2, tracer.Stats.EventsSent);
        Assert.Equal(2, tracer.Stats.EventsDropped);
    }

    private sealed class ThrowingLoggerFactory : Microsoft.Extensions.Logging.ILoggerFactory
    {
        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new ThrowingLogger();

        public void AddProvider(Microsoft.Extensions.Logging.ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        private sealed class ThrowingLogger : Microsoft.Extensions.Logging.ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => throw new AggregateException("An error occurred while writing to logger(s).");

            public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

            public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                throw new AggregateException("An error occurred while writing to logger(s).", new IOException("No space left on device"));
        }
    }

    private sealed class SelfReferencing
    {
        public SelfReferencing Me => this;
    }
}
