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

        Assert.True(json.Length > EventWriter.MaxEventBytes);
        Assert.True(writer.BufferCapacity <= 1024 * 1024, $"the worker's buffer still holds {writer.BufferCapacity} bytes after a 4 MiB event");
    }
}
