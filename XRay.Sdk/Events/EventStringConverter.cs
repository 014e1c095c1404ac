using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace XRay.Sdk.Events;

/// <summary>
/// Writes the strings of an event as the serializer's own converter does, but first gives up one that cannot fit in what
/// is left of <see cref="EventWriter.MaxEventBytes"/>. <see cref="CappedBuffer"/> alone cannot: a writer escapes a string
/// that needs it (a newline, a quote) into a scratch buffer of six chars per char before it asks for room, so a 64 MiB
/// text with a newline in it rented 1 GiB only to be dropped. Each char takes at least a byte, so a string of more chars
/// than the bytes left cannot fit.
/// </summary>
internal sealed class EventStringConverter : JsonConverter<string>
{
    private static readonly ConditionalWeakTable<JsonSerializerOptions, JsonSerializerOptions> Capped = new();
    private static readonly JsonConverter<string?> Inner = JsonMetadataServices.StringConverter;

    private EventStringConverter()
    {
    }

    /// <summary>
    /// The caller's options with this converter last (a string converter of the caller's still wins), one copy per
    /// options shared by every worker, so the copy's metadata is built once.
    /// </summary>
    public static JsonSerializerOptions For(JsonSerializerOptions options) =>
        Capped.GetValue(options, static o => new JsonSerializerOptions(o) { Converters = { new EventStringConverter() } });

    /// <summary>Throws <see cref="CappedBuffer.OverLimitException"/> when <paramref name="chars"/> chars cannot fit in the event <paramref name="writer"/> is writing.</summary>
    public static void ThrowIfCannotFit(Utf8JsonWriter writer, int chars)
    {
        if (chars > EventWriter.MaxEventBytes - (writer.BytesCommitted + writer.BytesPending))
        {
            throw new CappedBuffer.OverLimitException();
        }
    }

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Inner.Read(ref reader, typeToConvert, options);

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options)
    {
        ThrowIfCannotFit(writer, value.Length);
        Inner.Write(writer, value, options);
    }

    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Inner.ReadAsPropertyName(ref reader, typeToConvert, options)!;

    /// <summary>A dictionary's key: the serializer's own converter applies <see cref="JsonSerializerOptions.DictionaryKeyPolicy"/>.</summary>
    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options)
    {
        ThrowIfCannotFit(writer, value.Length);
        Inner.WriteAsPropertyName(writer, value, options);
    }
}
