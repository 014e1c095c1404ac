using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace XRay.Gateway.Query;

/// <summary>
/// Opaque page cursors for lists sorted by (start time, id) descending: base64url of <c>{startedAt}:{id}</c>,
/// the sort key of a page's last item. Shared by the trace list and the step query.
/// </summary>
public static class KeysetCursor
{
    public static string Encode(long startedAt, string id) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{startedAt.ToString(CultureInfo.InvariantCulture)}:{id}"));

    /// <summary>Decodes a cursor this API returned; <paramref name="isValidId"/> checks the id's own format.</summary>
    public static bool TryDecode(string value, Func<string, bool> isValidId, out long startedAt, out string id)
    {
        startedAt = 0;
        id = string.Empty;
        if (value.Length > 200 || !Base64Url.IsValid(value))
        {
            return false;
        }

        var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(value));
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 1
            || !long.TryParse(text.AsSpan(0, colon), NumberStyles.Integer, CultureInfo.InvariantCulture, out startedAt)
            || !isValidId(text[(colon + 1)..]))
        {
            return false;
        }

        id = text[(colon + 1)..];
        return true;
    }
}
