using System.Buffers.Text;
using System.Globalization;
using System.Text;
using XRay.Grains.Storage;

namespace XRay.Gateway.Query;

/// <summary>Opaque page cursors of the step query: base64url of <c>{startedAt}:{stepId}</c>, the sort key of the last item.</summary>
public static class StepCursors
{
    public static string Encode(StepCursor cursor) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{cursor.StartedAt.ToString(CultureInfo.InvariantCulture)}:{cursor.StepId}"));

    public static bool TryDecode(string value, out StepCursor? cursor)
    {
        cursor = null;
        if (value.Length > 200 || !Base64Url.IsValid(value))
        {
            return false;
        }

        var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(value));
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 1
            || !long.TryParse(text.AsSpan(0, colon), NumberStyles.Integer, CultureInfo.InvariantCulture, out var startedAt)
            || !Guid.TryParse(text.AsSpan(colon + 1), out _))
        {
            return false;
        }

        cursor = new StepCursor(startedAt, text[(colon + 1)..]);
        return true;
    }
}
