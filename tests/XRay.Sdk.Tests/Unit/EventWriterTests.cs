using System.Text.Json;
using XRay.Sdk.Events;
using XRay.Sdk.Storage;
using XRay.Sdk.Tests.Fakes;

namespace XRay.Sdk.Tests.Unit;

/// <summary>The per-worker serializer: what it keeps between values.</summary>
public sealed class EventWriterTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public void A_large_blob_does_not_leave_its_size_held_by_the_worker_for_the_tracers_life()
    {
        var writer = new EventWriter(Web);
        var json = writer.WriteBlob(new { text = new string('x', 16 * 1024 * 1024) }, BlobContent.Json);

        Assert.True(json?.Length > 16 * 1024 * 1024);
        Assert.True(writer.BufferCapacity <= 1024 * 1024, $"the worker's buffer still holds {writer.BufferCapacity} bytes after a 16 MiB blob");
        Assert.Equal("{\"a\":1}", System.Text.Encoding.UTF8.GetString(writer.WriteBlob(new { a = 1 }, BlobContent.Json)!)); // and it still works
    }

    [Fact]
    public void A_blob_that_never_ends_is_given_up_at_its_limit_without_growing_the_buffer_past_it()
    {
        const int limit = 600 * 1024; // under the 1 MiB a worker keeps, so the buffer it grew is still there to measure
        var writer = new EventWriter(Web, limit);
        var endless = new Endless();
        var before = GC.GetAllocatedBytesForCurrentThread();

        var blob = writer.WriteBlob(endless, BlobContent.Json);

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Null(blob);
        Assert.True(endless.MostPulled < 200_000, $"the writer pulled {endless.MostPulled} items of a blob over its limit");
        // doubling stops at the limit and a constant: it grew to 1 MiB for a limit of 600 KiB
        Assert.True(writer.BufferCapacity <= limit + CappedBuffer.Slack, $"the buffer grew to {writer.BufferCapacity} bytes for a limit of {limit}");
        Assert.True(allocated < 4 * limit, $"{allocated} bytes allocated to find a blob over its limit of {limit}");
    }

    [Theory]
    [InlineData("text")]
    [InlineData("key")]
    [InlineData("json-element")]
    [InlineData("to-string")]
    public void A_blob_with_a_huge_text_over_its_limit_is_given_up_before_the_text_is_escaped(string where)
    {
        const int limit = 1024 * 1024;
        var huge = "first line\n" + new string('x', 64 * 1024 * 1024);
        object value = where switch
        {
            "text" => new { answer = huge },
            "key" => new Dictionary<string, int> { [huge] = 1 },
            "json-element" => JsonSerializer.SerializeToElement(new { answer = huge }),
            _ => new Unserializable(huge),
        };
        var writer = new EventWriter(Web, limit);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var blob = writer.WriteBlob(value, BlobContent.Json);

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Null(blob);
        Assert.True(allocated < 4 * limit, $"{allocated} bytes allocated to find a 64 MiB text over the blob's limit of {limit}");
    }

    [Fact]
    public void A_blob_with_a_long_text_that_needs_escaping_is_written_in_segments_not_escaped_whole()
    {
        // Written whole, the text was escaped into a scratch of six chars per char (96 MB) and the writer asked the buffer
        // for three bytes per escaped char at once (24 MB), for 8 MB of JSON.
        var text = "first line\n" + new string('x', 8 * 1024 * 1024);
        var writer = new EventWriter(Web);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var blob = writer.WriteBlob(new { text }, BlobContent.Json);

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(new { text }, Web), blob);
        Assert.True(allocated < 6L * text.Length, $"{allocated} bytes allocated for a blob of {blob!.Length} bytes");
    }

    [Theory]
    [InlineData("text")]
    [InlineData("bytes")]
    public void A_text_or_bytes_blob_over_its_limit_is_given_up_and_one_at_it_is_kept(string kind)
    {
        const int limit = 1000;
        var writer = new EventWriter(Web, limit);
        var content = kind == "text" ? BlobContent.Text : BlobContent.Binary;
        object Value(int bytes) => content == BlobContent.Text ? new string('é', bytes / 2) : new byte[bytes];

        Assert.Equal(limit, writer.WriteBlob(Value(limit), content)?.Length);
        Assert.Null(writer.WriteBlob(Value(limit + 2), content));
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
    [InlineData("json-element")] // the element's writer unescaped the string into a copy, then escaped that whole
    [InlineData("json-element-key")]
    [InlineData("json-document")]
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
            "json-element" => new() { Type = EventType.Step, TraceId = "t", Timestamp = DateTime.UtcNow, Name = "s", Output = JsonSerializer.SerializeToElement(new { answer = text }) },
            "json-element-key" => new() { Type = EventType.Step, TraceId = "t", Timestamp = DateTime.UtcNow, Name = "s", Output = JsonSerializer.SerializeToElement(new Dictionary<string, int> { [text] = 1 }) },
            "json-document" => new() { Type = EventType.Step, TraceId = "t", Timestamp = DateTime.UtcNow, Name = "s", Output = JsonSerializer.SerializeToDocument(new[] { text }) },
            _ => new() { Type = EventType.Step, TraceId = "t", Timestamp = DateTime.UtcNow, Name = "s", Output = new Unserializable(text) },
        };
        var writer = new EventWriter(Web);
        var huge = Event(where, "first line\n" + new string('x', 64 * 1024 * 1024));
        Assert.NotNull(writer.Write(Event(where, "small\ntext"))); // the same shape, small: its metadata is built before the count
        var before = GC.GetAllocatedBytesForCurrentThread();

        var json = writer.Write(huge);

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Null(json);
        Assert.True(allocated < 16 * 1024 * 1024, $"{allocated} bytes allocated to find a 64 MiB text over the {EventWriter.MaxEventBytes} limit");
    }

    [Fact]
    public void The_strings_of_an_events_values_are_written_as_the_callers_options_write_them()
    {
        var keys = new JsonSerializerOptions(JsonSerializerDefaults.Web) { DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower };
        var own = new JsonSerializerOptions(JsonSerializerDefaults.Web) { Converters = { new Shouting() } };
        // longer than a segment, with a surrogate pair across each segment's end: written in segments, as the writer would whole
        var segment = "a\n\"<é" + new string('x', CappedStringConverter.SegmentChars - 6);
        var longText = string.Concat(Enumerable.Repeat(segment + "😀", 3));
        using var document = JsonDocument.Parse("{\"Quoted\\n\": [\"\\u00e9\\n\", 1.50, true, null]}");
        var value = new Sample
        {
            Text = "a \"quote\", a <tag>, é and a\nnewline",
            Missing = null,
            Tags = ["x", "y", longText],
            Counts = new() { ["FirstKey"] = 1 },
            Boxed = "boxed",
            Element = JsonSerializer.SerializeToElement(new { longText, nested = document.RootElement }),
            Document = document,
            Extra = new() { ["ExtraKey"] = JsonSerializer.SerializeToElement("extra") },
        };

        foreach (var options in new[] { Web, keys, own })
        {
            var writer = new EventWriter(options);
            var json = writer.Write(new PendingEvent { Type = EventType.Step, TraceId = "t", Timestamp = DateTime.UtcNow, Name = "s", Output = value });
            var blob = writer.WriteBlob(value, BlobContent.Json);

            using var written = JsonDocument.Parse(json);
            Assert.Equal(JsonSerializer.Serialize(value, options), written.RootElement.GetProperty("output").GetRawText());
            Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(value, options), blob);
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

        public JsonElement Element { get; set; }

        public JsonDocument? Document { get; set; }

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
