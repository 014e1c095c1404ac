using System.Buffers;
using System.Text.Json;

namespace XRay.Sdk.Events;

/// <summary>
/// Serializes one <see cref="PendingEvent"/> to the JSON of docs/events.md. One per worker: it reuses
/// its buffer, so serialization allocates little beyond the result.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The writer wraps a managed buffer only and lives as long as its worker thread.")]
internal sealed class EventWriter(JsonSerializerOptions serializerOptions)
{
    /// <summary>The gateway's default <c>Ingest:MaxEventBytes</c>; a larger event would only be rejected.</summary>
    public const int MaxEventBytes = 256 * 1024;

    private readonly ArrayBufferWriter<byte> _buffer = new(4096);

    public JsonSerializerOptions SerializerOptions => serializerOptions;
    private Utf8JsonWriter? _writer;

    /// <summary>The event's UTF-8 JSON. A user object that cannot be serialized is written as its <c>ToString()</c>.</summary>
    public byte[] Write(PendingEvent e)
    {
        try
        {
            return WriteCore(e, lenient: false);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            return WriteCore(e, lenient: true);
        }
    }

    /// <summary>Serializes a data blob's value.</summary>
    public byte[] WriteValue(object? value)
    {
        var writer = Reset();
        JsonSerializer.Serialize(writer, value, value?.GetType() ?? typeof(object), serializerOptions);
        writer.Flush();
        return _buffer.WrittenSpan.ToArray();
    }

    private byte[] WriteCore(PendingEvent e, bool lenient)
    {
        var w = Reset();
        {
            w.WriteStartObject();
            w.WriteString("eventId", Uuid7.At(e.Timestamp));
            w.WriteString("type", TypeName(e.Type));
            w.WriteString("traceId", e.TraceId);
            w.WriteString("timestamp", e.Timestamp);
            switch (e.Type)
            {
                case EventType.Trace:
                    w.WriteString("name", e.Name);
                    WriteObject(w, "metadata", e.Metadata, lenient);
                    break;
                case EventType.Step or EventType.Error:
                    WriteStep(w, e, lenient);
                    break;
                case EventType.Success:
                    WriteObject(w, "output", e.Output, lenient);
                    break;
                case EventType.Failure:
                    WriteError(w, e);
                    break;
            }

            w.WriteEndObject();
            w.Flush();
        }

        return _buffer.WrittenSpan.ToArray();
    }

    // One writer per worker, reset per event: the buffer and the writer are reused, not reallocated.
    private Utf8JsonWriter Reset()
    {
        _buffer.ResetWrittenCount();
        if (_writer is null)
        {
            _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });
        }
        else
        {
            _writer.Reset(_buffer);
        }

        return _writer;
    }

    private void WriteStep(Utf8JsonWriter w, PendingEvent e, bool lenient)
    {
        w.WriteString("stepId", Uuid7.At(e.Timestamp));
        w.WriteNumber("stepNumber", e.StepNumber);
        w.WriteString("name", e.Name);
        if (e.Kind is not null)
        {
            w.WriteString("kind", e.Kind);
        }

        if (e.StartedAt != default)
        {
            w.WriteString("startedAt", e.StartedAt);
            w.WriteString("endedAt", e.EndedAt);
        }

        WriteObject(w, "input", e.Input, lenient);
        WriteObject(w, "output", e.Output, lenient);
        WriteObject(w, "candidates", e.Candidates, lenient);
        WriteObject(w, "filters", e.Filters, lenient);
        if (e.Reasoning is not null)
        {
            w.WriteString("reasoning", e.Reasoning);
        }

        WriteObject(w, "metadata", e.Metadata, lenient);
        if (e.DataIds is { Count: > 0 } ids)
        {
            w.WriteStartArray("dataIds");
            foreach (var id in ids)
            {
                w.WriteStringValue(id);
            }

            w.WriteEndArray();
        }

        if (e.Type == EventType.Error)
        {
            WriteError(w, e);
        }
    }

    private static void WriteError(Utf8JsonWriter w, PendingEvent e)
    {
        w.WriteStartObject("error");
        w.WriteString("type", e.Exception?.GetType().Name ?? "Error");
        w.WriteString("message", e.Exception?.Message ?? e.ErrorMessage ?? "(no message)");
        if (e.Exception?.StackTrace is { } stack)
        {
            w.WriteString("stack", stack);
        }

        w.WriteEndObject();
    }

    private void WriteObject(Utf8JsonWriter w, string name, object? value, bool lenient)
    {
        if (value is null)
        {
            return;
        }

        w.WritePropertyName(name);
        if (lenient)
        {
            try
            {
                // a throw half-way through would leave the writer mid-value: serialize apart, then copy
                var bytes = JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), serializerOptions);
                w.WriteRawValue(bytes, skipInputValidation: true);
            }
            catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
            {
                w.WriteStringValue(value.ToString());
            }

            return;
        }

        JsonSerializer.Serialize(w, value, value.GetType(), serializerOptions);
    }

    private static string TypeName(EventType type) => type switch
    {
        EventType.Trace => "trace",
        EventType.Step => "step",
        EventType.Error => "error",
        EventType.Success => "success",
        _ => "failure",
    };
}
