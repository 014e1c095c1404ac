using System.Text.Json;
using XRay.Gateway.Json;
using XRay.Gateway.Problems;
using XRay.Grains.Ingest;
using XRay.Grains.Storage;

namespace XRay.Gateway.Query;

/// <summary>Type-checks a filter's value against its field and operator and converts it for the store.</summary>
internal static class StepFilterValues
{
    private enum Kind
    {
        Text,
        Number,
        Time,
        Status,
        Any,
    }

    /// <summary>The converted value (string, long, double or bool), or <c>null</c> after adding a problem.</summary>
    public static object? Parse(StepField field, StepFilterOp op, JsonElement? value, string name, Validation validation)
    {
        if (op == StepFilterOp.Exists)
        {
            // "exists" with no value reads naturally as "exists: true".
            return value?.ValueKind switch
            {
                null or JsonValueKind.Null or JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => Fail(validation, name, $"'{name}' must be true or false for 'exists'."),
            };
        }

        var kind = field switch
        {
            StepField.Name or StepField.Kind or StepField.TraceId => Kind.Text,
            StepField.StepNumber or StepField.DurationMs => Kind.Number,
            StepField.StartedAt => Kind.Time,
            StepField.Status => Kind.Status,
            _ => Kind.Any,
        };
        var ordering = op is StepFilterOp.Gt or StepFilterOp.Gte or StepFilterOp.Lt or StepFilterOp.Lte;
        if (op == StepFilterOp.Contains && kind is not (Kind.Text or Kind.Any))
        {
            return Fail(validation, name.Replace(".value", ".op", StringComparison.Ordinal), $"'contains' applies only to string fields ({name}).");
        }

        if (ordering && kind is Kind.Text or Kind.Status)
        {
            return Fail(validation, name.Replace(".value", ".op", StringComparison.Ordinal), $"'{op.ToString().ToLowerInvariant()}' applies only to numbers, times and paths ({name}).");
        }

        string? text = null;
        if (value?.ValueKind == JsonValueKind.String && !JsonStrings.TryRead(value.Value, out text))
        {
            return Fail(validation, name, $"'{name}' is not valid text (invalid UTF-8 or a lone surrogate escape).");
        }

        return (kind, value?.ValueKind) switch
        {
            (_, JsonValueKind.String) when text!.Length > StepQueryParser.MaxStringValueLength =>
                Fail(validation, name, $"'{name}' must be at most {StepQueryParser.MaxStringValueLength} characters."),
            (Kind.Text, JsonValueKind.String) => text,
            (Kind.Status, JsonValueKind.String) when text is "ok" or "error" => text,
            (Kind.Status, _) => Fail(validation, name, $"'{name}' must be \"ok\" or \"error\"."),
            (Kind.Number, JsonValueKind.Number) => Number(value!.Value, name, validation),
            (Kind.Time, JsonValueKind.String) when IngestEventParser.TryParseRfc3339(text!, out var unixMs) => unixMs,
            (Kind.Time, _) => Fail(validation, name, $"'{name}' must be an RFC 3339 date-time."),
            (Kind.Any, JsonValueKind.String) => text,
            (Kind.Any, JsonValueKind.Number) when op != StepFilterOp.Contains => Number(value!.Value, name, validation),
            (Kind.Any, JsonValueKind.True or JsonValueKind.False) when !ordering && op != StepFilterOp.Contains => value!.Value.GetBoolean(),
            (Kind.Any, _) when op == StepFilterOp.Contains => Fail(validation, name, $"'{name}' must be a string for 'contains'."),
            (Kind.Any, _) when ordering => Fail(validation, name, $"'{name}' must be a string or a number for ordering operators."),
            (Kind.Any, _) => Fail(validation, name, $"'{name}' must be a string, a number or a boolean."),
            (Kind.Text, _) => Fail(validation, name, $"'{name}' must be a string."),
            _ => Fail(validation, name, $"'{name}' must be a number."),
        };
    }

    private static object? Number(JsonElement value, string name, Validation validation)
    {
        if (value.TryGetInt64(out var whole))
        {
            return whole;
        }

        return value.TryGetDouble(out var real) && double.IsFinite(real) ? real : Fail(validation, name, $"'{name}' is not a usable number.");
    }

    private static object? Fail(Validation validation, string name, string message)
    {
        validation.Add(name, message);
        return null;
    }
}
