using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace XRay.Sdk.Events;

/// <summary>
/// Writes a <see cref="JsonElement"/> as the serializer's own converter does, but first gives up one whose strings cannot
/// fit in what is left of the limit: the element writes each string whole, unescaping it into a copy and escaping that
/// into a scratch buffer of six bytes per byte before it asks for room, past <see cref="CappedStringConverter"/>'s check
/// (a 64 MiB string with a newline rented about 450 MiB only to be dropped).
/// </summary>
internal sealed class CappedElementConverter(int limit) : JsonConverter<JsonElement>
{
    private static readonly JsonConverter<JsonElement> Inner = JsonMetadataServices.JsonElementConverter;

    // As permissive as any JsonDocument: an element's text may hold what its document allowed.
    private static readonly JsonReaderOptions AnyDocument = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = int.MaxValue,
    };

    /// <summary>
    /// Throws <see cref="CappedBuffer.OverLimitException"/> when the strings of <paramref name="element"/> alone (values and
    /// property names) take more bytes than are left of <paramref name="limit"/>. Read from the element's own text, copying nothing.
    /// </summary>
    public static void ThrowIfStringsCannotFit(Utf8JsonWriter writer, JsonElement element, int limit)
    {
        if (element.ValueKind == JsonValueKind.Undefined)
        {
            return; // the serializer's converter says what is wrong with it
        }

        var text = JsonMarshal.GetRawUtf8Value(element);
        var left = limit - (writer.BytesCommitted + writer.BytesPending);
        if (text.Length <= left)
        {
            return; // its strings are no longer than its text: nearly every element
        }

        var reader = new Utf8JsonReader(text, AnyDocument);
        long least = 0;
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
            {
                least += reader.ValueIsEscaped ? LeastUnescaped(reader.ValueSpan) : reader.ValueSpan.Length;
                if (least > left)
                {
                    throw new CappedBuffer.OverLimitException();
                }
            }
        }
    }

    // An escape is \x (two bytes for one) or \uXXXX (six bytes for at least one); the writer escapes what it writes again,
    // never into fewer bytes.
    private static long LeastUnescaped(ReadOnlySpan<byte> escaped)
    {
        long least = 0;
        for (var at = escaped.IndexOf((byte)'\\'); at >= 0; at = escaped.IndexOf((byte)'\\'))
        {
            least += at + 1;
            escaped = escaped[(escaped[at + 1] == (byte)'u' ? at + 6 : at + 2)..];
        }

        return least + escaped.Length;
    }

    public override JsonElement Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Inner.Read(ref reader, typeToConvert, options);

    public override void Write(Utf8JsonWriter writer, JsonElement value, JsonSerializerOptions options)
    {
        ThrowIfStringsCannotFit(writer, value, limit);
        Inner.Write(writer, value, options);
    }
}
