using System.Text;
using System.Text.Json;
using XRay.Sdk.Storage;

namespace XRay.Sdk.Events;

/// <summary>
/// Serializes one <see cref="PendingEvent"/> to the JSON of docs/events.md, or a data blob's value. One per worker: it
/// reuses its buffer, so serialization allocates little beyond the result. An event stops being written as soon as it
/// passes <see cref="MaxEventBytes"/>, a blob as soon as it passes <paramref name="maxBlobBytes"/>.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The writer wraps a managed buffer only and lives as long as its worker thread.")]
internal sealed class EventWriter(JsonSerializerOptions serializerOptions, int maxBlobBytes = (int)XRayOptions.DefaultMaxBlobSize)
{
    /// <summary>The gateway's default <c>Ingest:MaxEventBytes</c>; a larger event would only be rejected.</summary>
    public const int MaxEventBytes = 256 * 1024;

    /// <summary>The gateway's nesting limit for an event, the event object being the first level.</summary>
    public const int MaxEventDepth = 62;

    /// <summary>The contract's limits on <c>name</c>, <c>kind</c> and <c>dataIds</c> (docs/events.md).</summary>
    public const int MaxNameLength = 200;
    public const int MaxKindLength = 100;
    public const int MaxDataIds = 100;

    /// <summary>
    /// A buffer that one large value grew past this is let go once the value is copied out, rather than held by the worker
    /// for the tracer's life (a 16 MiB blob grows it to about 50 MB): later values start small again.
    /// </summary>
    private const int MaxRetainedBufferBytes = 1024 * 1024;

    private readonly CappedBuffer _buffer = new();

    /// <summary>The caller's options for an event's values: a string that cannot fit is given up before it is escaped.</summary>
    private readonly JsonSerializerOptions _eventOptions = CappedStringConverter.For(serializerOptions, MaxEventBytes);

    /// <summary>The same for a data blob's value, within its own limit.</summary>
    private readonly JsonSerializerOptions _blobOptions = CappedStringConverter.For(serializerOptions, maxBlobBytes);

    /// <summary>How the fallback serializes a value apart: as <see cref="JsonSerializer.SerializeToUtf8Bytes(object?, Type, JsonSerializerOptions?)"/> would.</summary>
    private readonly JsonWriterOptions _apartOptions = new()
    {
        Encoder = serializerOptions.Encoder,
        Indented = serializerOptions.WriteIndented,
        IndentCharacter = serializerOptions.IndentCharacter,
        IndentSize = serializerOptions.IndentSize,
        NewLine = serializerOptions.NewLine,
        MaxDepth = serializerOptions.MaxDepth,
        SkipValidation = true,
    };

    public JsonSerializerOptions SerializerOptions => serializerOptions;

    public int MaxBlobBytes => maxBlobBytes;

    /// <summary>The bytes the reused buffer holds on to between values.</summary>
    internal int BufferCapacity => _buffer.Capacity;
    private Utf8JsonWriter? _writer;
    private long _metadataAt = -1;

    /// <summary>
    /// The event's UTF-8 JSON, or null when it is over <see cref="MaxEventBytes"/>: the gateway would reject it, so writing
    /// stops as soon as it passes the limit. A user object that cannot be serialized is written as its <c>ToString()</c>.
    /// </summary>
    public byte[]? Write(PendingEvent e)
    {
        try
        {
            try
            {
                var json = WriteCore(e, lenient: false);
                if (!IsDeeperThan(json, MaxEventDepth) && MetadataIsObjectOrNull(json))
                {
                    return json;
                }
            }
            catch (Exception ex) when (ex is not (OutOfMemoryException or CappedBuffer.OverLimitException))
            {
                // whatever a user's value throws (a getter, a converter of the caller's serializer options): written apart below
            }

            // a value the gateway would reject (too deep, metadata that is not an object) or that could not be serialized:
            // each user value apart, falling back to its text, so that the event itself still goes through
            return WriteCore(e, lenient: true);
        }
        catch (CappedBuffer.OverLimitException)
        {
            _buffer.Trim(MaxRetainedBufferBytes);
            return null;
        }
    }

    /// <summary>Whether the JSON <paramref name="json"/> nests deeper than <paramref name="maxDepth"/> levels.</summary>
    internal static bool IsDeeperThan(ReadOnlySpan<byte> json, int maxDepth)
    {
        if (json.Count((byte)'{') + json.Count((byte)'[') <= maxDepth)
        {
            return false; // nearly every event: fewer brackets than levels, quotes included
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = maxDepth });
        try
        {
            while (reader.Read())
            {
            }

            return false;
        }
        catch (JsonException)
        {
            return true;
        }
    }

    private bool MetadataIsObjectOrNull(byte[] json) =>
        _metadataAt < 0 || _metadataAt >= json.Length || json[_metadataAt] is (byte)'{' or (byte)'n';

    private static string NameOf(string? name) =>
        string.IsNullOrEmpty(name) ? "(unnamed)" : Truncate(name, MaxNameLength);

    /// <summary>At most <paramref name="max"/> UTF-16 units, so at most as many code points, without splitting a pair.</summary>
    private static string Truncate(string text, int max) =>
        text.Length <= max ? text : text[..(char.IsHighSurrogate(text[max - 1]) ? max - 1 : max)];

    /// <summary>
    /// A data blob's bytes, or null when they are over <see cref="MaxBlobBytes"/>: the value of <c>DataId</c> stops being
    /// written as soon as it passes the limit. One that cannot be serialized is written as its <c>ToString()</c>, a JSON string.
    /// </summary>
    public byte[]? WriteBlob(object? value, BlobContent content)
    {
        switch (content)
        {
            case BlobContent.Binary:
                var bytes = (byte[])value!;
                return bytes.Length <= maxBlobBytes ? bytes : null;
            case BlobContent.Text:
                var text = (string?)value ?? "";
                return text.Length <= maxBlobBytes && Encoding.UTF8.GetByteCount(text) <= maxBlobBytes ? Encoding.UTF8.GetBytes(text) : null;
        }

        try
        {
            var writer = Reset(maxBlobBytes);
            try
            {
                JsonSerializer.Serialize(writer, value, value?.GetType() ?? typeof(object), _blobOptions);
            }
            catch (Exception ex) when (ex is not (OutOfMemoryException or CappedBuffer.OverLimitException) && value is not null)
            {
                writer = Reset(maxBlobBytes); // the failed attempt left the writer mid-value
                CappedStringConverter.WriteText(writer, TextOf(value), maxBlobBytes);
            }

            writer.Flush();
            return TakeWritten();
        }
        catch (CappedBuffer.OverLimitException)
        {
            _buffer.Trim(MaxRetainedBufferBytes);
            return null;
        }
    }

    /// <summary>A value's <c>ToString()</c>, or its type's name when that throws too: the text never costs the event.</summary>
    private static string? TextOf(object value)
    {
        try
        {
            return value.ToString();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return value.GetType().ToString();
        }
    }

    private byte[] WriteCore(PendingEvent e, bool lenient)
    {
        var w = Reset(MaxEventBytes);
        _metadataAt = -1;
        {
            w.WriteStartObject();
            w.WriteString("eventId", Uuid7.At(e.Timestamp));
            w.WriteString("type", TypeName(e.Type));
            w.WriteString("traceId", e.TraceId);
            w.WriteString("timestamp", e.Timestamp);
            switch (e.Type)
            {
                case EventType.Trace:
                    w.WriteString("name", NameOf(e.Name));
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

        return TakeWritten();
    }

    /// <summary>A copy of what was written; the buffer is replaced when one value grew it past what is worth keeping.</summary>
    private byte[] TakeWritten()
    {
        var written = _buffer.WrittenSpan.ToArray();
        _buffer.Trim(MaxRetainedBufferBytes);
        return written;
    }

    // One writer per worker, reset per event: the buffer and the writer are reused, not reallocated.
    private Utf8JsonWriter Reset(int limit)
    {
        _buffer.Reset(limit);
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
        w.WriteString("name", NameOf(e.Name));
        if (e.Kind is not null)
        {
            w.WriteString("kind", Truncate(e.Kind, MaxKindLength));
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
            w.WritePropertyName("reasoning");
            CappedStringConverter.WriteText(w, e.Reasoning, MaxEventBytes);
        }

        WriteObject(w, "metadata", e.Metadata, lenient);
        if (e.DataIds is { Count: > 0 } ids)
        {
            w.WriteStartArray("dataIds");
            for (var i = 0; i < ids.Count && i < MaxDataIds; i++)
            {
                w.WriteStringValue(ids[i]);
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
        var message = (e.Exception is { } exception ? Read(exception, static x => x.Message) : null) ?? e.ErrorMessage ?? "(no message)";
        w.WritePropertyName("message");
        CappedStringConverter.WriteText(w, message, MaxEventBytes);
        if (e.Exception is { } thrown && Read(thrown, static x => x.StackTrace) is { } stack)
        {
            w.WritePropertyName("stack");
            CappedStringConverter.WriteText(w, stack, MaxEventBytes);
        }

        w.WriteEndObject();
    }

    /// <summary>An exception's message or stack trace, or null when the exception's own override of it throws.</summary>
    private static string? Read(Exception exception, Func<Exception, string?> member)
    {
        try
        {
            return member(exception);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null;
        }
    }

    private void WriteObject(Utf8JsonWriter w, string name, object? value, bool lenient)
    {
        if (value is null)
        {
            return;
        }

        var metadata = name == "metadata";
        w.WritePropertyName(name);
        if (!lenient)
        {
            if (metadata)
            {
                _metadataAt = w.BytesCommitted + w.BytesPending; // checked once written: the contract wants an object
            }

            JsonSerializer.Serialize(w, value, value.GetType(), _eventOptions);
            return;
        }

        // a throw half-way through would leave the writer mid-value: serialize apart, then copy
        byte[]? bytes;
        try
        {
            bytes = SerializeApart(value);
        }
        catch (Exception ex) when (ex is not (OutOfMemoryException or CappedBuffer.OverLimitException))
        {
            bytes = null; // a cycle, an unsupported type, a getter or a converter that throws
        }

        // the event is level 1, this value level 2; wrapped metadata one more
        var wrap = metadata && bytes is not [(byte)'{', ..] and not [(byte)'n', ..];
        if (bytes is not null && IsDeeperThan(bytes, MaxEventDepth - (wrap ? 2 : 1)))
        {
            bytes = null;
        }

        if (wrap)
        {
            w.WriteStartObject();
            w.WritePropertyName("value");
        }

        if (bytes is not null)
        {
            w.WriteRawValue(bytes, skipInputValidation: true);
        }
        else
        {
            CappedStringConverter.WriteText(w, TextOf(value), MaxEventBytes);
        }

        if (wrap)
        {
            w.WriteEndObject();
        }
    }

    /// <summary>A user value on its own, given up as soon as it passes the event's limit (it could not fit in the event).</summary>
    private byte[] SerializeApart(object value)
    {
        var buffer = new CappedBuffer();
        buffer.Reset(MaxEventBytes);
        using var writer = new Utf8JsonWriter(buffer, _apartOptions);
        JsonSerializer.Serialize(writer, value, value.GetType(), _eventOptions);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
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
