using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace XRay.Grains.Ingest;

/// <summary>
/// The properties of one event object that docs/events.md names, found in one pass over the object. Looking each up
/// by name walks the object's properties every time; for twenty names that walk was the largest single cost of
/// checking an event. An absent property is <c>default</c> (<see cref="JsonValueKind.Undefined"/>); of duplicates the
/// last wins, as with <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/>. Other properties are ignored.
/// </summary>
internal struct EventProperties
{
    private Slots _slots;

    private enum Field
    {
        None = -1,
        EventId,
        Type,
        TraceId,
        Timestamp,
        Name,
        Kind,
        StepId,
        StepNumber,
        StartedAt,
        EndedAt,
        Input,
        Output,
        Candidates,
        Filters,
        Reasoning,
        Metadata,
        DataIds,
        Error,
        DataId,
        ContentType,
        Size,
        Sha256,
    }

    public readonly JsonElement EventId => _slots[(int)Field.EventId];

    public readonly JsonElement Type => _slots[(int)Field.Type];

    public readonly JsonElement TraceId => _slots[(int)Field.TraceId];

    public readonly JsonElement Timestamp => _slots[(int)Field.Timestamp];

    public readonly JsonElement Name => _slots[(int)Field.Name];

    public readonly JsonElement Kind => _slots[(int)Field.Kind];

    public readonly JsonElement StepId => _slots[(int)Field.StepId];

    public readonly JsonElement StepNumber => _slots[(int)Field.StepNumber];

    public readonly JsonElement StartedAt => _slots[(int)Field.StartedAt];

    public readonly JsonElement EndedAt => _slots[(int)Field.EndedAt];

    public readonly JsonElement Input => _slots[(int)Field.Input];

    public readonly JsonElement Output => _slots[(int)Field.Output];

    public readonly JsonElement Candidates => _slots[(int)Field.Candidates];

    public readonly JsonElement Filters => _slots[(int)Field.Filters];

    public readonly JsonElement Reasoning => _slots[(int)Field.Reasoning];

    public readonly JsonElement Metadata => _slots[(int)Field.Metadata];

    public readonly JsonElement DataIds => _slots[(int)Field.DataIds];

    public readonly JsonElement Error => _slots[(int)Field.Error];

    public readonly JsonElement DataId => _slots[(int)Field.DataId];

    public readonly JsonElement ContentType => _slots[(int)Field.ContentType];

    public readonly JsonElement Size => _slots[(int)Field.Size];

    public readonly JsonElement Sha256 => _slots[(int)Field.Sha256];

    /// <summary>Reads the properties of <paramref name="element"/>, which must be an object.</summary>
    public static EventProperties Of(JsonElement element)
    {
        var found = default(EventProperties);
        foreach (var property in element.EnumerateObject())
        {
            var name = JsonMarshal.GetRawUtf8PropertyName(property);

            // An escaped name (rare) is compared unescaped.
            var field = name.Contains((byte)'\\') ? Identify(Encoding.UTF8.GetBytes(property.Name)) : Identify(name);
            if (field != Field.None)
            {
                found._slots[(int)field] = property.Value;
            }
        }

        return found;
    }

    private static Field Identify(ReadOnlySpan<byte> name) => name.Length switch
    {
        4 when name.SequenceEqual("type"u8) => Field.Type,
        4 when name.SequenceEqual("name"u8) => Field.Name,
        4 when name.SequenceEqual("kind"u8) => Field.Kind,
        4 when name.SequenceEqual("size"u8) => Field.Size,
        5 when name.SequenceEqual("input"u8) => Field.Input,
        5 when name.SequenceEqual("error"u8) => Field.Error,
        6 when name.SequenceEqual("stepId"u8) => Field.StepId,
        6 when name.SequenceEqual("output"u8) => Field.Output,
        6 when name.SequenceEqual("dataId"u8) => Field.DataId,
        6 when name.SequenceEqual("sha256"u8) => Field.Sha256,
        7 when name.SequenceEqual("eventId"u8) => Field.EventId,
        7 when name.SequenceEqual("traceId"u8) => Field.TraceId,
        7 when name.SequenceEqual("endedAt"u8) => Field.EndedAt,
        7 when name.SequenceEqual("filters"u8) => Field.Filters,
        7 when name.SequenceEqual("dataIds"u8) => Field.DataIds,
        8 when name.SequenceEqual("metadata"u8) => Field.Metadata,
        9 when name.SequenceEqual("timestamp"u8) => Field.Timestamp,
        9 when name.SequenceEqual("startedAt"u8) => Field.StartedAt,
        9 when name.SequenceEqual("reasoning"u8) => Field.Reasoning,
        10 when name.SequenceEqual("stepNumber"u8) => Field.StepNumber,
        10 when name.SequenceEqual("candidates"u8) => Field.Candidates,
        11 when name.SequenceEqual("contentType"u8) => Field.ContentType,
        _ => Field.None,
    };

    [InlineArray(22)]
    private struct Slots
    {
        private JsonElement _first;
    }
}
