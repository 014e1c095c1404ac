using System.Buffers;
using System.Text;
using System.Text.Json;
using XRay.Grains.Ingest;

namespace XRay.Grains.Traces;

/// <summary>
/// Renders a step once, when it is written, exactly as the query API serves it: steps never change
/// after insert, so reading a 1,000-step trace only concatenates stored JSON.
/// </summary>
public static class StepDocument
{
    private static readonly string[] PayloadFields = ["input", "output", "candidates", "filters", "reasoning", "metadata", "dataIds", "error"];

    // Reused per thread: a fresh buffer grown by doubling, and a fresh writer, for every step were an eighth of the
    // gateway's allocations. Only the string remains. A buffer grown past MaxKeptBytes by a huge step is dropped.
    private const int MaxKeptBytes = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? _writer;

    public static string Render(JsonElement step, IngestEvent evt)
    {
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var writer = _writer ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        try
        {
            writer.WriteStartObject();
            writer.WriteString("stepId", evt.StepId);
            writer.WriteNumber("stepNumber", evt.StepNumber);
            writer.WriteString("name", evt.Name);
            if (evt.Kind is null)
            {
                writer.WriteNull("kind");
            }
            else
            {
                writer.WriteString("kind", evt.Kind);
            }

            writer.WriteString("status", evt.Type == IngestEventType.Error ? "error" : "ok");
            WriteTimes(writer, evt.StartedAt ?? evt.Timestamp, evt.EndedAt);
            foreach (var field in PayloadFields)
            {
                if (step.TryGetProperty(field, out var value))
                {
                    writer.WritePropertyName(field);
                    value.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
            writer.Flush();
            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        finally
        {
            if (buffer.Capacity > MaxKeptBytes)
            {
                _buffer = null;
                _writer = null; // it still refers to the buffer
            }
        }
    }

    /// <summary>Writes <c>startedAt</c>, <c>endedAt</c> and <c>durationMs</c> from Unix milliseconds, in UTC.</summary>
    public static void WriteTimes(Utf8JsonWriter writer, long startedAt, long? endedAt)
    {
        writer.WriteString("startedAt", DateTimeOffset.FromUnixTimeMilliseconds(startedAt).UtcDateTime);
        if (endedAt is { } ended)
        {
            writer.WriteString("endedAt", DateTimeOffset.FromUnixTimeMilliseconds(ended).UtcDateTime);
            writer.WriteNumber("durationMs", ended - startedAt);
        }
        else
        {
            writer.WriteNull("endedAt");
            writer.WriteNull("durationMs");
        }
    }
}
