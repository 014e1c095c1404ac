using System.Globalization;
using Microsoft.Data.Sqlite;

namespace XRay.Grains.Storage.Sqlite;

/// <summary>
/// Translates a <see cref="StepQuery"/> to SQL. Only fixed SQL text is concatenated: columns come from a whitelist,
/// operators from the enum, and every user value (JSON paths included) is bound as a parameter.
/// </summary>
internal static class SqliteStepQuery
{
    private static readonly Dictionary<StepField, string> Columns = new()
    {
        [StepField.Name] = "name",
        [StepField.Kind] = "kind",
        [StepField.Status] = "status",
        [StepField.StepNumber] = "stepNumber",
        [StepField.StartedAt] = "startedAt",
        [StepField.DurationMs] = "(endedAt - startedAt)",
        [StepField.TraceId] = "traceId",
    };

    /// <summary>Sets the command's text and parameters for one page of the project's matching steps.</summary>
    public static void Build(SqliteCommand command, string projectId, StepQuery query)
    {
        var where = new List<string> { "projectId = $project" };
        command.Parameters.AddWithValue("$project", projectId);
        for (var i = 0; i < query.Filters.Count; i++)
        {
            where.Add(Condition(command, query.Filters[i], i));
        }

        if (query.After is { } after)
        {
            where.Add("(startedAt, stepId) < ($afterStarted, $afterStep)");
            command.Parameters.AddWithValue("$afterStarted", after.StartedAt);
            command.Parameters.AddWithValue("$afterStep", after.StepId);
        }

        // Left to itself SQLite prefers walking the project's steps in time order over the name index plus a sort of each
        // millisecond's ties, which for a rare name reads every step (SqliteTraceSchema).
        var byName = query.Filters.Any(f => f is { Field: StepField.Name, Op: StepFilterOp.Eq });
        command.CommandText = $"""
            SELECT stepId, traceId, stepNumber, name, kind, status, startedAt, endedAt, document
            FROM steps{(byName ? " INDEXED BY ix_steps_project_name_started" : "")} WHERE {string.Join(" AND ", where)}
            ORDER BY startedAt DESC, stepId DESC LIMIT $limit
            """;
        command.Parameters.AddWithValue("$limit", query.Limit);
    }

    private static string Condition(SqliteCommand command, StepFilter filter, int index)
    {
        var value = $"$v{index}";
        string target;
        string guard;
        string equal;
        if (filter.Field == StepField.Path)
        {
            var path = $"$p{index}";
            command.Parameters.AddWithValue(path, StepPath.ToJsonPath(filter.Path ?? []));
            target = $"json_extract(document, {path})";

            // A path's value may be any JSON type; comparing only like with like keeps SQLite's cross-type ordering
            // (any text sorts above any number) from matching, say, "abc" > 5.
            var types = JsonTypes(filter.Value);
            guard = $"IFNULL(json_type(document, {path}), '') IN ({types})";
            if (filter.Op == StepFilterOp.Exists)
            {
                return $"json_type(document, {path}) IS {(filter.Value is true ? "NOT NULL" : "NULL")}";
            }

            // eq (and so ne) also matches an array with an equal element, like with like, one level deep (as MongoDB does).
            // A value that is not an array never reaches the subquery: it costs one more json_type, and only when it differs.
            equal = $"(({guard} AND {target} IS {value}) OR (json_type(document, {path}) IS 'array' AND EXISTS ("
                + $"SELECT 1 FROM json_each(document, {path}) AS e WHERE e.type IN ({types}) AND e.value IS {value})))";
        }
        else
        {
            target = Columns[filter.Field];
            guard = "1";
            if (filter.Op == StepFilterOp.Exists)
            {
                return $"{target} IS {(filter.Value is true ? "NOT NULL" : "NULL")}";
            }

            equal = $"({guard} AND {target} IS {value})";
        }

        command.Parameters.AddWithValue(value, filter.Value is bool b ? (b ? 1L : 0L) : filter.Value);
        return filter.Op switch
        {
            // IS is null-safe, so eq is never NULL and ne (its negation) also matches steps without the field.
            StepFilterOp.Eq => equal,
            StepFilterOp.Ne => $"NOT {equal}",
            StepFilterOp.Gt => $"({guard} AND {target} > {value})",
            StepFilterOp.Gte => $"({guard} AND {target} >= {value})",
            StepFilterOp.Lt => $"({guard} AND {target} < {value})",
            StepFilterOp.Lte => $"({guard} AND {target} <= {value})",
            // instr, not LIKE: the value's % and _ stay literal.
            StepFilterOp.Contains => $"({guard} AND instr({target}, {value}) > 0)",
            _ => throw new ArgumentOutOfRangeException(nameof(filter), filter.Op.ToString()),
        };
    }

    private static string JsonTypes(object value) => value switch
    {
        string => "'text'",
        bool => "'true', 'false'",
        long or double or int => "'integer', 'real'",
        _ => throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Unsupported filter value type {value.GetType()}."), nameof(value)),
    };
}
