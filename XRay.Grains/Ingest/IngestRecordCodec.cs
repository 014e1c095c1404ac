using System.Buffers;
using System.Text.Json;
using Orleans.Serialization;
using XRay.Grains.Ids;

namespace XRay.Grains.Ingest;

/// <summary>
/// What an ingest log record holds (docs/ingest-log.md, "Records"). The gateway checks and renders each event once
/// and writes it as a compact record: a marker byte, then the <see cref="IngestEvent"/> in Orleans' version-tolerant
/// binary form (fields by id, so a newer field is skipped by an older reader). The consumers decode it without
/// parsing JSON again. A record that starts with anything else is an event's JSON, as earlier versions wrote
/// (and as the presign endpoint and other producers may still write): it is parsed and checked as before.
/// </summary>
public sealed class IngestRecordCodec(Serializer<IngestEvent> serializer)
{
    /// <summary>First byte of a compact record. JSON text never starts with it.</summary>
    public const byte CompactMarker = 0x01;

    private const int MaxKeptBytes = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _buffer;

    /// <summary>The compact record of an event that passed <see cref="IngestEventParser.TryAccept"/>.</summary>
    public byte[] Encode(IngestEvent value)
    {
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        buffer.GetSpan(1)[0] = CompactMarker;
        buffer.Advance(1);
        serializer.Serialize(value, buffer);
        var record = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > MaxKeptBytes)
        {
            _buffer = null; // a huge event does not keep its buffer alive on this thread
        }

        return record;
    }

    /// <summary>
    /// Reads a record: a compact record is decoded; JSON is parsed and checked as an event of any type, data
    /// events included. When the bytes are corrupt or foreign, <paramref name="error"/> says why and nothing is
    /// thrown: skipping such a record must not stop a consumer. A failure that says this process cannot decode any
    /// record (a codec or type missing from its serializer configuration) is thrown, so that the consumer retries
    /// the batch instead of skipping, and committing past, every record.
    /// </summary>
    public bool TryDecode(ReadOnlyMemory<byte> record, out IngestEvent? value, out string error)
    {
        value = null;
        try
        {
            if (record.Length > 0 && record.Span[0] == CompactMarker)
            {
                value = serializer.Deserialize(record[1..]);
                error = Incomplete(value) ?? string.Empty;
                if (error.Length > 0)
                {
                    value = null;
                }

                return value is not null;
            }

            using var document = JsonDocument.Parse(record);
            return IngestEventParser.TryParse(document.RootElement, null, allowData: true, int.MaxValue, out value, out error);
        }
        catch (SerializerException ex) when (ex is not (CodecNotFoundException or IllegalTypeException))
        {
            value = null;
            error = ex.Message;
            return false;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException or FormatException or OverflowException or EndOfStreamException or IndexOutOfRangeException)
        {
            // A truncated buffer makes Orleans' reader throw IndexOutOfRangeException or InvalidOperationException.
            value = null;
            error = ex.Message;
            return false;
        }
    }

    /// <summary>
    /// What a decoded record lacks that every checked event has. The frames' checksums keep torn or flipped bytes out,
    /// so this only catches a foreign producer or a bug; either would otherwise fail in a grain on every retry.
    /// </summary>
    private static string? Incomplete(IngestEvent? e) => e switch
    {
        null => "The compact record holds no event.",
        { EventId: null or "" } or { TraceId: null or "" } or { ProjectId: null or "" } => "The compact record lacks its event, trace or project id.",
        // The store takes the project from the trace id's first 24 characters: a shorter id would fail the whole
        // group-committed transaction on every retry. Any form an earlier version acknowledged still reads.
        _ when !TraceIds.TryParse(e.TraceId, out var project, legacy: true) || project != e.ProjectId
            => "The compact record's trace id is not {projectId}-{uuid} of its project.",
        { Type: < IngestEventType.Trace or > IngestEventType.Data } => $"The compact record has an unknown event type {(int)e.Type}.",
        { Type: IngestEventType.Step or IngestEventType.Error, StepId: null or "" } or { Type: IngestEventType.Step or IngestEventType.Error, Name: null } or { Type: IngestEventType.Step or IngestEventType.Error, Document: null }
            => "The compact record of a step lacks its step id, name or document.",
        { Type: IngestEventType.Data, DataId: null or "" } or { Type: IngestEventType.Data, ContentType: null } => "The compact record of a data event lacks its data id or content type.",
        _ => null,
    };
}
