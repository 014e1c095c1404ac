using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using XRay.Grains.Ingest;

namespace XRay.Grains.Traces;

/// <summary>
/// Renders a step once, when it is written, exactly as the query API serves it: steps never change
/// after insert, so reading a 1,000-step trace only concatenates stored JSON.
/// </summary>
public static class StepDocument
{
    // Reused per thread: a fresh buffer grown by doubling, and a fresh writer, for every step were an eighth of the
    // gateway's allocations. Only the document's own array remains. A buffer grown past MaxKeptBytes by a huge step is dropped.
    private const int MaxKeptBytes = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? _writer;

    /// <summary>
    /// The step's document: its fields as checked (<paramref name="evt"/>), then its payloads as the client sent them.
    /// Payloads are copied as raw JSON (the parser has validated them, and the gateway has refused lone surrogates):
    /// re-encoding them token by token cost more than the rest of the step's checks.
    /// </summary>
    internal static byte[] Render(in EventProperties step, IngestEvent evt)
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
            WritePayload(writer, "input"u8, step.Input);
            WritePayload(writer, "output"u8, step.Output);
            WritePayload(writer, "candidates"u8, step.Candidates);
            WritePayload(writer, "filters"u8, step.Filters);
            WritePayload(writer, "reasoning"u8, step.Reasoning);
            WritePayload(writer, "metadata"u8, step.Metadata);
            WritePayload(writer, "dataIds"u8, step.DataIds);
            WritePayload(writer, "error"u8, step.Error);

            writer.WriteEndObject();
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
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

    private static void WritePayload(Utf8JsonWriter writer, ReadOnlySpan<byte> name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Undefined)
        {
            writer.WritePropertyName(name);
            writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(value), skipInputValidation: true);
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
