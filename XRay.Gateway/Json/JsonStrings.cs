using System.Text.Json;

namespace XRay.Gateway.Json;

/// <summary>Reading request strings that were parsed but never checked.</summary>
internal static class JsonStrings
{
    /// <summary>
    /// Reads a JSON string, or false when it is not valid text: invalid UTF-8 or a lone surrogate escape
    /// (<c>"\ud800"</c>). The parser and the model binder leave string contents unchecked until they are read, and
    /// <see cref="JsonElement.GetString"/> then throws, which would be a 500 for what is bad input.
    /// </summary>
    public static bool TryRead(JsonElement element, out string? value)
    {
        try
        {
            value = element.GetString();
            return true;
        }
        catch (InvalidOperationException) when (element.ValueKind == JsonValueKind.String)
        {
            value = null;
            return false;
        }
    }

    /// <summary>
    /// Looks a property up (<see cref="JsonValueKind.Undefined"/> when absent); false when the lookup cannot read
    /// the object's names. <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/> unescapes an escaped name
    /// to compare it and throws on a lone surrogate escape in it (<c>{"\ud800abcdefgh": 1}</c>).
    /// </summary>
    public static bool TryGetProperty(JsonElement element, string name, out JsonElement value)
    {
        try
        {
            element.TryGetProperty(name, out value);
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default;
            return false;
        }
    }
}
