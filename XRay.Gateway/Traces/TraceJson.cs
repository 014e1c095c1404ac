using System.Buffers;
using System.Text.Json;
using XRay.Grains.Storage;
using XRay.Grains.Traces;

namespace XRay.Gateway.Traces;

/// <summary>
/// Writes traces and steps as JSON straight from the stored raw JSON: user payloads (input, output,
/// candidates, ...) are copied, never re-encoded through objects, which keeps a 1,000-step trace fast.
/// </summary>
public static class TraceJson
{
    public static void WriteTraceSummary(Utf8JsonWriter writer, TraceRecord trace)
    {
        writer.WriteStartObject();
        WriteTraceFields(writer, trace);
        writer.WriteEndObject();
    }

    /// <summary>
    /// Streams a trace to the response as its steps are read, flushing every 64 KiB: memory stays flat
    /// however many steps the trace holds.
    /// </summary>
    public static async Task WriteTraceAsync(Stream body, TraceRecord trace, IAsyncEnumerable<ReadOnlyMemory<byte>> stepDocuments, IReadOnlyList<DataRecord> data, CancellationToken cancellationToken)
    {
        await using var writer = new Utf8JsonWriter(body);
        writer.WriteStartObject();
        WriteTraceFields(writer, trace);
        writer.WriteStartArray("steps");
        await foreach (var document in stepDocuments.WithCancellation(cancellationToken))
        {
            writer.WriteRawValue(document.Span, skipInputValidation: true); // rendered at write time (StepDocument)
            if (writer.BytesPending > 64 * 1024)
            {
                await writer.FlushAsync(cancellationToken);
            }
        }

        writer.WriteEndArray();
        WriteData(writer, data);
        writer.WriteEndObject();
        await writer.FlushAsync(cancellationToken);
    }

    private static void WriteData(Utf8JsonWriter writer, IReadOnlyList<DataRecord> data)
    {
        writer.WriteStartArray("data");
        foreach (var blob in data)
        {
            writer.WriteStartObject();
            writer.WriteString("dataId", blob.DataId);
            writer.WriteString("contentType", blob.ContentType);
            writer.WriteNumber("size", blob.Size);
            if (blob.Sha256 is not null)
            {
                writer.WriteString("sha256", blob.Sha256);
            }

            writer.WriteString("createdAt", blob.CreatedAt.UtcDateTime);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>Runs a writer into a pooled buffer and returns the bytes as an <c>application/json</c> result.</summary>
    public static IResult ToResult(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return TypedResults.Bytes(buffer.WrittenMemory.ToArray(), "application/json");
    }

    private static void WriteTraceFields(Utf8JsonWriter writer, TraceRecord trace)
    {
        writer.WriteString("traceId", trace.TraceId);
        writer.WriteString("projectId", trace.ProjectId);
        WriteNullableString(writer, "name", trace.Name);
        writer.WriteString("status", trace.Status);
        StepDocument.WriteTimes(writer, trace.StartedAt, trace.EndedAt);
        writer.WriteNumber("stepCount", trace.StepCount);
        WriteRaw(writer, "metadata", trace.Metadata);
        WriteRaw(writer, "output", trace.Output);
        WriteRaw(writer, "error", trace.Error);
    }

    private static void WriteNullableString(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteRaw(Utf8JsonWriter writer, string name, string? rawJson)
    {
        writer.WritePropertyName(name);
        if (rawJson is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteRawValue(rawJson, skipInputValidation: true);
        }
    }
}
