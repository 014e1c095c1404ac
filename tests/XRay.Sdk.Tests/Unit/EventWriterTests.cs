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

    [Fact]
    public void An_event_at_the_limit_is_written_and_one_byte_more_is_not()
    {
        var writer = new EventWriter(Web);
        static PendingEvent Step(int length) => new() { Type = EventType.Step, TraceId = "t", Timestamp = DateTime.UtcNow, Name = "edge", Output = new string('x', length) };
        var overhead = writer.Write(Step(0))!.Length;

        var at = writer.Write(Step(EventWriter.MaxEventBytes - overhead));
        var over = writer.Write(Step(EventWriter.MaxEventBytes - overhead + 1));

        Assert.Equal(EventWriter.MaxEventBytes, at?.Length);
        Assert.Null(over);
    }
}
