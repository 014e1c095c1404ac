using System.Text.Json;
using XRay.Sdk.Events;

namespace XRay.Sdk.Tests.Unit;

/// <summary>The per-worker serializer: what it keeps between values.</summary>
public sealed class EventWriterTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public void A_large_blob_does_not_leave_its_size_held_by_the_worker_for_the_tracers_life()
    {
        var writer = new EventWriter(Web);
        var json = writer.WriteValue(new { text = new string('x', 16 * 1024 * 1024) });

        Assert.True(json.Length > 16 * 1024 * 1024);
        Assert.True(writer.BufferCapacity <= 1024 * 1024, $"the worker's buffer still holds {writer.BufferCapacity} bytes after a 16 MiB blob");
        Assert.Equal("{\"a\":1}", System.Text.Encoding.UTF8.GetString(writer.WriteValue(new { a = 1 }))); // and it still works
    }

    [Fact]
    public void An_oversized_event_does_not_leave_its_size_held_by_the_worker()
    {
        var writer = new EventWriter(Web);
        var json = writer.Write(new PendingEvent { Type = EventType.Step, TraceId = "t", Timestamp = DateTime.UtcNow, Name = "big", Input = new string('x', 4 * 1024 * 1024) });

        Assert.Null(json); // over the limit
        Assert.True(writer.BufferCapacity <= 1024 * 1024, $"the worker's buffer still holds {writer.BufferCapacity} bytes after a 4 MiB event");
        Assert.NotNull(writer.Write(new PendingEvent { Type = EventType.Step, TraceId = "t", Timestamp = DateTime.UtcNow, Name = "small" })); // and it still works
    }

    [Fact]
    public void An_event_with_a_huge_value_is_given_up_without_serializing_it_whole()
    {
        var writer = new EventWriter(Web);
        var huge = new string('x', 64 * 1024 * 1024); // 64 MiB of text: about 200 MB of buffer, serialized whole
        writer.Write(new PendingEvent { Type = EventType.Step, TraceId = "t", Timestamp = DateTime.UtcNow, Name = "warm-up", Output = "x" });
        var before = GC.GetAllocatedBytesForCurrentThread();

        var json = writer.Write(new PendingEvent { Type = EventType.Step, TraceId = "t", Timestamp = DateTime.UtcNow, Name = "big", Output = huge });

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Null(json);
        Assert.True(allocated < 16 * 1024 * 1024, $"{allocated} bytes allocated to find a 64 MiB value over the {EventWriter.MaxEventBytes} limit");
    }

    [Theory]
    [InlineData("output")]
    [InlineData("nested")]
    [InlineData("key")]
    [InlineData("reasoning")]
    [InlineData("exception")]
    [InlineData("text-fallback")]
    public void An_event_with_a_huge_text_that_needs_escaping_is_given_up_without_escaping_it_whole(string where)
    {
        // A newline must be escaped: the JSON writer escaped the whole text into a scratch buffer of six chars per char
        // before it asked the capped buffer for room, and 64 MiB of text rented 1 GiB.
        static PendingEvent Event(string where, string text) => where switch
        {
            "output" => new() { Type = EventType.Step, TraceId = "t", Timestamp = DateTime.UtcNow, Name = "s", Output = text },
            "nested" => new() { Type = EventType.Step, TraceId = "t", Timestamp = DateTime.UtcNow, Name = "s", Output = new { answer = new[] { text } } },
            "key" => new() { Type = EventType.Step, TraceId = "t", Timestamp = DateTime.UtcNow, Name = "s", Output = new Dictionary<string, int> { [text] = 1 } },
            "reasoning" => new() { Type = EventType.Step, TraceId = "t", Timestamp = DateTime.UtcNow, Name = "s", Reasoning = text },
            "exception" => new() { Type = EventType.Failure, TraceId = "t", Timestamp = DateTime.UtcNow, Exception = new InvalidOperationException(text) },
            _ => new() { Type = EventType.Step, TraceId = "t", Timestamp = DateTime.UtcNow, Name = "s", Output = new Unserializable(text) },
        };
        var writer = new EventWriter(Web);
        var huge = "first line\n" + new string('x', 64 * 1024 * 1024);
        Assert.NotNull(writer.Write(Event(where, "small\ntext"))); // the same shape, small: its metadata is built before the count
        var before = GC.GetAllocatedBytesForCurrentThread();

        var json = writer.Write(Event(where, huge));

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Null(json);
        Assert.True(allocated < 16 * 1024 * 1024, $"{allocated} bytes allocated to find a 64 MiB text over the {EventWriter.MaxEventBytes} limit");
    }

    [Fact]
    public void The_strings_of_an_events_values_are_written_as_the_callers_options_write_them()
    {
        var keys = new JsonSerializerOptions(JsonSerializerDefaults.Web) { DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower };
        var own = new JsonSerializerOptions(JsonSerializerDefaults.Web) { Converters = { new Shouting() } };
        var value = new Sample
        {
            Text = "a \"quote\", a <tag>, é and a\nnewline",
            Missing = null,
            Tags = ["x", "y"],
            Counts = new() { ["FirstKey"] = 1 },
            Boxed = "boxed",
            Extra = new() { ["ExtraKey"] = JsonSerializer.SerializeToElement("extra") },
        };

        foreach (var options in new[] { Web, keys, own })
        {
            var json = new EventWriter(options).Write(new PendingEvent { Type = EventType.Step, TraceId = "t", Timestamp = DateTime.UtcNow, Name = "s", Output = value });

            using var written = JsonDocument.Parse(json);
            Assert.Equal(JsonSerializer.Serialize(value, options), written.RootElement.GetProperty("output").GetRawText());
        }
    }

    [Fact]
    public void An_event_at_the_limit_is_written_and_one_byte_more_is_not()
    {
        var writer = new EventWriter(Web);
        // A fixed time: the clock's, written without its trailing zeros, changed the length between the writes below.
        var time = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1234567);
        PendingEvent Step(int length) => new() { Type = EventType.Step, TraceId = "t", Timestamp = time, Name = "edge", Output = new string('x', length) };
        var overhead = writer.Write(Step(0))!.Length;

        var at = writer.Write(Step(EventWriter.MaxEventBytes - overhead));
        var over = writer.Write(Step(EventWriter.MaxEventBytes - overhead + 1));

        Assert.Equal(EventWriter.MaxEventBytes, at?.Length);
        Assert.Null(over);
    }

    private sealed class Sample
    {
        public string? Text { get; set; }

        public string? Missing { get; set; }

        public List<string> Tags { get; set; } = [];

        public Dictionary<string, int> Counts { get; set; } = [];

        public object? Boxed { get; set; }

        [System.Text.Json.Serialization.JsonExtensionData]
        public Dictionary<string, JsonElement> Extra { get; set; } = [];
    }

    /// <summary>A caller's own converter for strings: it still decides how they are written.</summary>
    private sealed class Shouting : System.Text.Json.Serialization.JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetString();

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToUpperInvariant());
    }

    /// <summary>A value the serializer cannot write (its getter throws): written as its text, here a huge one.</summary>
    private sealed class Unserializable(string text)
    {
        public int Broken => throw new InvalidOperationException("no");

        public override string ToString() => text;
    }
}
