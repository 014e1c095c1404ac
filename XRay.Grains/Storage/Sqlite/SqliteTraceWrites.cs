using Microsoft.Data.Sqlite;

namespace XRay.Grains.Storage.Sqlite;

/// <summary>The bulk statements of one write transaction, each prepared once and run per row.</summary>
internal static class SqliteTraceWrites
{
    /// <summary>
    /// Upserts traces. A new trace starts with the steps already stored for it (steps may arrive first);
    /// afterwards its count only grows by newly inserted steps (<see cref="AddStepCountsAsync"/>).
    /// </summary>
    public static async Task UpsertTracesAsync(SqliteConnection connection, IReadOnlyList<TraceUpsert> traces, CancellationToken cancellationToken)
    {
        if (traces.Count == 0)
        {
            return;
        }

        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO traces (traceId, projectId, name, status, startedAt, endedAt, metadata, output, error, stepCount, updatedAt)
            VALUES ($id, $project, $name, $status, $started, $ended, $metadata, $output, $error,
                    (SELECT COUNT(*) FROM steps WHERE traceId = $id), $now)
            ON CONFLICT(traceId) DO UPDATE SET
                name = COALESCE(excluded.name, traces.name),
                status = CASE WHEN excluded.status <> 'running' THEN excluded.status ELSE traces.status END,
                startedAt = MIN(traces.startedAt, excluded.startedAt),
                endedAt = COALESCE(excluded.endedAt, traces.endedAt),
                metadata = COALESCE(excluded.metadata, traces.metadata),
                output = COALESCE(excluded.output, traces.output),
                error = COALESCE(excluded.error, traces.error),
                updatedAt = excluded.updatedAt
            """;
        var p = Parameters(command, "$id", "$project", "$name", "$status", "$started", "$ended", "$metadata", "$output", "$error", "$now");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var t in traces)
        {
            Set(p, t.TraceId, t.ProjectId, t.Name, t.Status, t.StartedAt, t.EndedAt, t.Metadata, t.Output, t.Error, now);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Inserts steps, ignoring known ids; returns how many were new, per trace.</summary>
    public static async Task<Dictionary<string, int>> InsertStepsAsync(SqliteConnection connection, IReadOnlyList<StepRecord> steps, CancellationToken cancellationToken)
    {
        var inserted = new Dictionary<string, int>(StringComparer.Ordinal);
        if (steps.Count == 0)
        {
            return inserted;
        }

        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO steps (stepId, traceId, projectId, stepNumber, name, kind, status, startedAt, endedAt, document)
            VALUES ($id, $trace, $project, $number, $name, $kind, $status, $started, $ended, $document)
            ON CONFLICT(stepId) DO NOTHING
            """;
        var p = Parameters(command, "$id", "$trace", "$project", "$number", "$name", "$kind", "$status", "$started", "$ended", "$document");
        foreach (var s in steps)
        {
            Set(p, s.StepId, s.TraceId, s.TraceId[..24], s.StepNumber, s.Name, s.Kind, s.Status, s.StartedAt, s.EndedAt, s.Document);
            if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0)
            {
                inserted[s.TraceId] = inserted.GetValueOrDefault(s.TraceId) + 1;
            }
        }

        return inserted;
    }

    public static async Task InsertDataAsync(SqliteConnection connection, IReadOnlyList<DataRecord> data, CancellationToken cancellationToken)
    {
        if (data.Count == 0)
        {
            return;
        }

        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO data (dataId, traceId, projectId, contentType, size, sha256, createdAt)
            VALUES ($id, $trace, $project, $type, $size, $sha, $at)
            ON CONFLICT(dataId) DO NOTHING
            """;
        var p = Parameters(command, "$id", "$trace", "$project", "$type", "$size", "$sha", "$at");
        foreach (var d in data)
        {
            Set(p, d.DataId, d.TraceId, d.ProjectId, d.ContentType, d.Size, d.Sha256, d.CreatedAt.ToUnixTimeMilliseconds());
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Adds the newly inserted steps to their traces' counts: O(1) per trace, however long the trace.</summary>
    public static async Task AddStepCountsAsync(SqliteConnection connection, Dictionary<string, int> inserted, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE traces SET stepCount = stepCount + $added WHERE traceId = $id";
        var p = Parameters(command, "$added", "$id");
        foreach (var (traceId, added) in inserted)
        {
            Set(p, added, traceId);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // Untyped parameters: the provider binds each value with its own type (INTEGER stays INTEGER).
    private static SqliteParameter[] Parameters(SqliteCommand command, params string[] names) =>
        [.. names.Select(name => command.Parameters.Add(new SqliteParameter { ParameterName = name }))];

    private static void Set(SqliteParameter[] parameters, params object?[] values)
    {
        for (var i = 0; i < parameters.Length; i++)
        {
            parameters[i].Value = values[i] ?? DBNull.Value;
        }
    }
}
