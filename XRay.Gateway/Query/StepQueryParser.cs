using XRay.Gateway.Problems;
using XRay.Grains.Storage;

namespace XRay.Gateway.Query;

/// <summary>
/// Validates a step query body into a <see cref="StepQuery"/>. Every problem is reported against the filter's
/// index (<c>filters[2].op</c>), so a client building queries programmatically can point at the bad one.
/// </summary>
public static class StepQueryParser
{
    public const int MaxFilters = 10;
    public const int MaxLimit = 200;
    public const int MaxStringValueLength = 1000;

    private static readonly Dictionary<string, StepField> Columns = new(StringComparer.Ordinal)
    {
        ["name"] = StepField.Name,
        ["kind"] = StepField.Kind,
        ["status"] = StepField.Status,
        ["stepNumber"] = StepField.StepNumber,
        ["startedAt"] = StepField.StartedAt,
        ["durationMs"] = StepField.DurationMs,
        ["traceId"] = StepField.TraceId,
    };

    private static readonly Dictionary<string, StepFilterOp> Ops = new(StringComparer.Ordinal)
    {
        ["eq"] = StepFilterOp.Eq,
        ["ne"] = StepFilterOp.Ne,
        ["gt"] = StepFilterOp.Gt,
        ["gte"] = StepFilterOp.Gte,
        ["lt"] = StepFilterOp.Lt,
        ["lte"] = StepFilterOp.Lte,
        ["contains"] = StepFilterOp.Contains,
        ["exists"] = StepFilterOp.Exists,
    };

    public static StepQuery Parse(StepQueryRequest request, Validation validation)
    {
        var filters = new List<StepFilter>();
        var requested = request.Filters ?? [];
        if (requested.Count > MaxFilters)
        {
            validation.Add("filters", $"'filters' holds at most {MaxFilters} filters.");
        }
        else
        {
            for (var i = 0; i < requested.Count; i++)
            {
                if (ParseFilter(requested[i], $"filters[{i}]", validation) is { } filter)
                {
                    filters.Add(filter);
                }
            }
        }

        var limit = request.Limit ?? 50;
        if (limit is < 1 or > MaxLimit)
        {
            validation.Add("limit", $"'limit' must be between 1 and {MaxLimit}.");
        }

        StepCursor? after = null;
        if (request.Cursor is not null)
        {
            if (KeysetCursor.TryDecode(request.Cursor, id => Guid.TryParse(id, out _), out var startedAt, out var stepId))
            {
                after = new StepCursor(startedAt, stepId);
            }
            else
            {
                validation.Add("cursor", "'cursor' is not a cursor this API returned.");
            }
        }

        return new StepQuery(filters, limit, after);
    }

    private static StepFilter? ParseFilter(StepFilterRequest? request, string name, Validation validation)
    {
        if (request is null)
        {
            validation.Add(name, $"'{name}' must be an object {{field, op, value}}.");
            return null;
        }

        var field = ParseField(request.Field, name, validation, out var path);
        StepFilterOp? op = request.Op is not null && Ops.TryGetValue(request.Op, out var known) ? known : null;
        if (op is null)
        {
            validation.Add($"{name}.op", $"'{name}.op' must be one of {string.Join(", ", Ops.Keys)}.");
        }

        if (field is null || op is null)
        {
            return null;
        }

        var value = StepFilterValues.Parse(field.Value, op.Value, request.Value, $"{name}.value", validation);
        return value is null ? null : new StepFilter(field.Value, op.Value, value, path);
    }

    private static StepField? ParseField(string? field, string name, Validation validation, out IReadOnlyList<string>? path)
    {
        path = null;
        if (field is not null && Columns.TryGetValue(field, out var column))
        {
            return column;
        }

        var segments = field?.Split('.') ?? [];
        if (field is { Length: <= 1000 } && StepPath.IsValid(segments))
        {
            path = segments;
            return StepField.Path;
        }

        validation.Add($"{name}.field",
            $"'{name}.field' must be one of {string.Join(", ", Columns.Keys)} or a path into {string.Join(", ", StepPath.Roots)} "
            + $"(e.g. output.kept): at most {StepPath.MaxSegments} dot-separated segments of 1 to {StepPath.MaxSegmentLength} letters, digits or '_'.");
        return null;
    }
}
