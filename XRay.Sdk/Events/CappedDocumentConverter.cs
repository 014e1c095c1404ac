using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace XRay.Sdk.Events;

/// <summary>Writes a <see cref="JsonDocument"/> as the serializer's own converter does, given up first as <see cref="CappedElementConverter"/> gives up its root.</summary>
internal sealed class CappedDocumentConverter(int limit) : JsonConverter<JsonDocument>
{
    private static readonly JsonConverter<JsonDocument?> Inner = JsonMetadataServices.JsonDocumentConverter;

    public override JsonDocument? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Inner.Read(ref reader, typeToConvert, options);

    public override void Write(Utf8JsonWriter writer, JsonDocument value, JsonSerializerOptions options)
    {
        CappedElementConverter.ThrowIfStringsCannotFit(writer, value.RootElement, limit);
        Inner.Write(writer, value, options);
    }
}
