using System.Text.Json;
using XRay.Sdk.Tests.Fakes;
using XRay.Testing;

namespace XRay.Sdk.Tests.Http;

/// <summary>
/// Values the caller may pass that the gateway would reject (docs/events.md limits): the SDK must send an event
/// the contract accepts, not one the gateway rejects (and the SDK then drops).
/// </summary>
public sealed class EventLimitTests : IAsyncLifetime
{
    private FakeGateway _gateway = null!;

    public async ValueTask InitializeAsync() => _gateway = await FakeGateway.StartAsync();

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    /// <summary>How deep <paramref name="e"/> nests, the event object being level 1 (the gateway allows 62).</summary>
    private static int Depth(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => 1 + e.EnumerateObject().Select(p => Depth(p.Value)).DefaultIfEmpty(0).Max(),
        JsonValueKind.Array => 1 + e.EnumerateArray().Select(Depth).DefaultIfEmpty(0).Max(),
        _ => 0,
    };

    private static object Nested(int levels)
    {
        object value = new Dictionary<string, object>();
        for (var i = 1; i < levels; i++)
        {
            value = new Dictionary<string, object> { ["a"] = value };
        }

        return value;
    }

    private async Task<XRayTracer> RecordAsync(Action<XRayTracer> record)
    {
        var tracer = new XRayTracer(TestTracers.Options(_gateway.BaseAddress));
        record(tracer);
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));
        return tracer;
    }

    private void AssertEveryBatchValid()
    {
        Assert.NotEmpty(_gateway.Batches);
        Assert.All(_gateway.Batches, batch => Assert.Null(IngestSchema.Problems(batch)));
    }

    [Fact]
    public async Task A_name_longer_than_200_characters_and_a_kind_longer_than_100_are_truncated_not_rejected()
    {
        await using var tracer = await RecordAsync(t =>
        {
            var trace = t.CreateTrace(new string('n', 250));
            trace.Step(new string('s', 201), kind: new string('k', 101));
            trace.Error(new string('e', 300), new InvalidOperationException("x"), kind: new string('k', 150));
        });

        AssertEveryBatchValid();
        Assert.Equal(0, tracer.Stats.EventsDropped);
    }

    [Fact]
    public async Task An_empty_or_null_name_is_not_sent_as_an_event_the_gateway_rejects()
    {
        await using var tracer = await RecordAsync(t =>
        {
            t.CreateTrace("").Step(null!);
            t.CreateTrace(null!);
        });

        AssertEveryBatchValid();
        Assert.Equal(0, tracer.Stats.EventsDropped);
    }

    [Fact]
    public async Task Metadata_that_is_not_a_JSON_object_does_not_cost_the_event()
    {
        await using var tracer = await RecordAsync(t =>
        {
            var trace = t.CreateTrace("run", metadata: new SelfReferencing()); // the SDK's own fallback writes it as a string
            trace.Step("numbers", metadata: new[] { 1, 2 });
            t.CreateTrace("scalar", metadata: 42);
        });

        AssertEveryBatchValid();
        Assert.Equal(0, tracer.Stats.EventsDropped);
    }

    [Fact]
    public async Task More_than_100_data_ids_are_not_sent_as_an_event_the_gateway_rejects()
    {
        await using var tracer = await RecordAsync(t =>
            t.CreateTrace("run").Step("many", dataIds: Enumerable.Range(0, 101).Select(_ => Guid.NewGuid()).ToList()));

        AssertEveryBatchValid();
        Assert.Equal(0, tracer.Stats.EventsDropped);
    }

    [Theory]
    [InlineData(62)] // within System.Text.Json's default MaxDepth of 64, so serialized as is
    [InlineData(64)]
    public async Task A_payload_nested_past_the_gateways_62_levels_does_not_cost_the_step(int levels)
    {
        Trace trace = null!;
        await using var tracer = await RecordAsync(t =>
        {
            trace = t.CreateTrace("run");
            trace.Step("deep", input: Nested(levels));
        });

        var step = Assert.Single(_gateway.StepsOf(trace.TraceId));
        Assert.True(Depth(step) <= 62, $"the step nests {Depth(step)} levels; the gateway rejects an event deeper than 62");
        Assert.Equal(0, tracer.Stats.EventsDropped);
    }

    [Fact]
    public async Task A_deep_JsonElement_payload_is_not_sent_past_62_levels()
    {
        var deep = JsonDocument.Parse(new string('[', 63) + new string(']', 63)).RootElement;
        Trace trace = null!;
        await using var tracer = await RecordAsync(t =>
        {
            trace = t.CreateTrace("run");
            trace.Step("deep", output: deep);
        });

        var step = Assert.Single(_gateway.StepsOf(trace.TraceId));
        Assert.True(Depth(step) <= 62, $"the step nests {Depth(step)} levels; the gateway rejects an event deeper than 62");
    }

    [Fact]
    public async Task A_value_whose_getter_throws_does_not_cost_the_step()
    {
        Trace trace = null!;
        await using var tracer = await RecordAsync(t =>
        {
            trace = t.CreateTrace("run");
            trace.Step("odd", input: new ThrowingGetter(), output: new { ok = true });
        });

        var step = Assert.Single(_gateway.StepsOf(trace.TraceId));
        Assert.Equal(nameof(ThrowingGetter), step.GetProperty("input").GetString()?.Split('+', '.').Last());
        Assert.True(step.GetProperty("output").GetProperty("ok").GetBoolean());
        Assert.Equal(0, tracer.Stats.EventsDropped);
    }

    [Fact]
    public async Task A_converter_of_the_callers_serializer_options_that_throws_does_not_cost_the_step()
    {
        var options = TestTracers.Options(_gateway.BaseAddress);
        options.SerializerOptions = new JsonSerializerOptions(JsonSerializerDefaults.Web) { Converters = { new ThrowingMoneyConverter() } };
        await using var tracer = new XRayTracer(options);
        var trace = tracer.CreateTrace("run");
        trace.Step("price", output: new Money(), metadata: new Money());
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        Assert.Single(_gateway.StepsOf(trace.TraceId));
        AssertEveryBatchValid();
        Assert.Equal(0, tracer.Stats.EventsDropped);
    }

    [Fact]
    public async Task A_value_that_cannot_be_serialized_and_whose_ToString_throws_does_not_cost_the_step()
    {
        Trace trace = null!;
        await using var tracer = await RecordAsync(t =>
        {
            trace = t.CreateTrace("run");
            trace.Step("odd", input: new NoTextEither());
        });

        var step = Assert.Single(_gateway.StepsOf(trace.TraceId));
        Assert.Equal(nameof(NoTextEither), step.GetProperty("input").GetString()?.Split('+', '.').Last());
        Assert.Equal(0, tracer.Stats.EventsDropped);
    }

    [Fact]
    public async Task A_data_blob_that_cannot_be_serialized_is_stored_as_its_text_not_lost()
    {
        Guid dataId = default;
        await using var tracer = await RecordAsync(t => dataId = t.CreateTrace("run").DataId(new SelfReferencing()));

        Assert.Equal(0, tracer.Stats.BlobsDropped);
        var text = JsonSerializer.Deserialize<string>(_gateway.Blobs[dataId.ToString()]);
        Assert.Equal(nameof(SelfReferencing), text?.Split('+', '.').Last());
    }

    [Fact]
    public async Task An_exception_whose_message_and_stack_trace_throw_does_not_cost_the_error_step_or_the_failure()
    {
        Trace trace = null!;
        await using var tracer = await RecordAsync(t =>
        {
            trace = t.CreateTrace("run");
            trace.Error("call", new BrokenException());
            trace.Failure(new BrokenException());
        });

        var step = Assert.Single(_gateway.StepsOf(trace.TraceId));
        Assert.Equal(nameof(BrokenException), step.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(0, tracer.Stats.EventsDropped);
        Assert.Equal(3, tracer.Stats.EventsSent);
    }

    [Theory]
    [InlineData("endless")] // an enumerable that never ends: serialized whole, it hung the worker until memory ran out
    [InlineData("endless-behind-a-throwing-getter")] // the same, reached by the fallback that writes each value apart
    [InlineData("string")] // 300 KiB: over the limit on its own
    public async Task An_event_over_the_gateways_limit_is_dropped_and_counted_as_soon_as_it_passes_it_and_the_next_is_delivered(string value)
    {
        var endless = new Endless();
        var logs = new LogRecorder();
        await using var tracer = new XRayTracer(TestTracers.Options(_gateway.BaseAddress), logs);
        var trace = tracer.CreateTrace("run");
        switch (value)
        {
            case "endless":
                trace.Step("huge", output: endless);
                break;
            case "endless-behind-a-throwing-getter":
                trace.Step("huge", input: new ThrowingGetter(), output: endless);
                break;
            default:
                trace.Step("huge", output: new string('x', 300 * 1024));
                break;
        }

        trace.Step("normal", output: new { ok = true });
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal("normal", Assert.Single(_gateway.StepsOf(trace.TraceId)).GetProperty("name").GetString());
        var stats = tracer.Stats;
        Assert.Equal(1, stats.EventsDropped);
        Assert.Equal(2, stats.EventsSent);
        var dropped = Assert.Single(logs.Entries, e => e.EventName == "Dropped");
        Assert.Contains("Step event of more than 262144 bytes is over the gateway's 262144", dropped.Message, StringComparison.Ordinal);
        // writing stopped at the limit: a few bytes an item, so tens of thousands of items, never the guard's millions
        Assert.True(endless.MostPulled < 200_000, $"the writer pulled {endless.MostPulled} items of an event it could not send");
    }

    private sealed class BrokenException : Exception
    {
        public override string Message => throw new InvalidOperationException("a message built from a disposed resource");

        public override string StackTrace => throw new InvalidOperationException("no stack either");
    }

    private sealed class SelfReferencing
    {
        public SelfReferencing Me => this;
    }

    private sealed class ThrowingGetter
    {
        public int Fine => 1;

        public int Broken => throw new KeyNotFoundException("a lazy value that was never loaded");
    }

    private sealed class NoTextEither
    {
        public NoTextEither Me => this;

        public override string ToString() => throw new FormatException("no text either");
    }

    private sealed class Money
    {
        public decimal Amount => 1.5m;
    }

    private sealed class ThrowingMoneyConverter : System.Text.Json.Serialization.JsonConverter<Money>
    {
        public override Money Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => throw new NotSupportedException();

        public override void Write(Utf8JsonWriter writer, Money value, JsonSerializerOptions options) => throw new DivideByZeroException("a converter bug");
    }
}
