using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace XRay.Sdk.Events;

/// <summary>
/// Writes the strings of an event or a data blob as the serializer's own converter does, but first gives up one that
/// cannot fit in what is left of the limit, and writes a long one in segments. <see cref="CappedBuffer"/> alone cannot:
/// a writer escapes a string that needs it (a newline, a quote) into a scratch buffer of six chars per char before it
/// asks for room, so a 64 MiB text with a newline in it rented 1 GiB only to be dropped; and it asks for room for three
/// bytes per char of the escaped text at once, so an 8 MiB text with a newline in a blob allocated 160 MiB. Each char
/// takes at least a byte, so a string of more chars than the bytes left cannot fit.
/// </summary>
internal sealed class CappedStringConverter(int limit) : JsonConverter<string>
{
    /// <summary>A longer string is written in segments of this many chars: the writer's scratch and its room stay a few KiB.</summary>
    internal const int SegmentChars = 2048;

    private static readonly ConditionalWeakTable<JsonSerializerOptions, ConcurrentDictionary<int, JsonSerializerOptions>> Capped = new();
    private static readonly JsonConverter<string?> Inner = JsonMetadataServices.StringConverter;

    /// <summary>
    /// The caller's options with the capped converters last (a string, <see cref="JsonElement"/> or <see cref="JsonDocument"/>
    /// converter of the caller's still wins), one copy per options and limit shared by every worker, so the copy's metadata
    /// is built once.
    /// </summary>
    public static JsonSerializerOptions For(JsonSerializerOptions options, int limit) =>
        Capped.GetOrCreateValue(options).GetOrAdd(limit, static (limit, o) => new JsonSerializerOptions(o)
        {
            Converters = { new CappedStringConverter(limit), new CappedElementConverter(limit), new CappedDocumentConverter(limit) },
        }, options);

    /// <summary>Throws <see cref="CappedBuffer.OverLimitException"/> when <paramref name="bytes"/> more cannot fit in the <paramref name="limit"/> of what <paramref name="writer"/> is writing.</summary>
    public static void ThrowIfCannotFit(Utf8JsonWriter writer, long bytes, int limit)
    {
        if (bytes > limit - (writer.BytesCommitted + writer.BytesPending))
        {
            throw new CappedBuffer.OverLimitException();
        }
    }

    /// <summary>Writes <paramref name="text"/> as a JSON string (null as null), given up first if it cannot fit in <paramref name="limit"/>.</summary>
    public static void WriteText(Utf8JsonWriter writer, string? text, int limit)
    {
        if (text is null)
        {
            writer.WriteNullValue();
            return;
        }

        ThrowIfCannotFit(writer, text.Length, limit);
        if (text.Length <= SegmentChars)
        {
            writer.WriteStringValue(text);
            return;
        }

        var rest = text.AsSpan();
        while (rest.Length > SegmentChars)
        {
            var length = char.IsHighSurrogate(rest[SegmentChars - 1]) ? SegmentChars - 1 : SegmentChars; // a pair stays whole
            writer.WriteStringValueSegment(rest[..length], isFinalSegment: false);
            rest = rest[length..];
        }

        writer.WriteStringValueSegment(rest, isFinalSegment: true);
    }

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Inner.Read(ref reader, typeToConvert, options);

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => WriteText(writer, value, limit);

    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Inner.ReadAsPropertyName(ref reader, typeToConvert, options)!;

    /// <summary>A dictionary's key: the serializer's own converter applies <see cref="JsonSerializerOptions.DictionaryKeyPolicy"/>.</summary>
    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options)
    {
        ThrowIfCannotFit(writer, value.Length, limit);
        Inner.WriteAsPropertyName(writer, value, options);
    }
}
