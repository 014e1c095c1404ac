using Microsoft.Data.Sqlite;

namespace XRay.Grains.Storage.Sqlite;

/// <summary>
/// The store's single writer: one long-lived connection with its statements prepared once. SQLite has one
/// writer at a time anyway; keeping it on one connection keeps that connection's page cache warm (a pooled
/// connection that another connection wrote behind must drop its cache) and skips re-preparing statements.
/// Not thread-safe: <see cref="SqliteTraceStore"/> serializes callers.
/// </summary>
internal sealed class SqliteTraceWrites : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _upsertTrace;
    private readonly SqliteParameter[] _upsertTraceParameters;
    private readonly SqliteCommand _insertStep;
    private readonly SqliteParameter[] _insertStepParameters;
    private readonly SqliteCommand _insertData;
    private readonly SqliteParameter[] _insertDataParameters;
    private readonly SqliteCommand _addStepCount;
    private readonly SqliteParameter[] _addStepCountParameters;

    private SqliteTraceWrites(SqliteConnection connection)
    {
        _connection = connection;
        // A new trace starts with the steps already stored for it (steps may arrive first); afterwards its count
        // only grows by newly inserted steps (_addStepCount): O(1) per trace, however long the trace.
        (_upsertTrace, _upsertTraceParameters) = Prepare("""
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
            """, "$id", "$project", "$name", "$status", "$started", "$ended", "$metadata", "$output", "$error", "$now");
        (_insertStep, _insertStepParameters) = Prepare("""
            INSERT INTO steps (stepId, traceId, projectId, stepNumber, name, kind, status, startedAt, endedAt, document)
            VALUES ($id, $trace, $project, $number, $name, $kind, $status, $started, $ended, $document)
            ON CONFLICT(stepId) DO NOTHING
            """, "$id", "$trace", "$project", "$number", "$name", "$kind", "$status", "$started", "$ended", "$document");
        (_insertData, _insertDataParameters) = Prepare("""
            INSERT INTO data (dataId, traceId, projectId, contentType, size, sha256, createdAt)
            VALUES ($id, $trace, $project, $type, $size, $sha, $at)
            ON CONFLICT(dataId) DO NOTHING
            """, "$id", "$trace", "$project", "$type", "$size", "$sha", "$at");
        (_addStepCount, _addStepCountParameters) = Prepare("UPDATE traces SET stepCount = stepCount + $added WHERE traceId = $id", "$added", "$id");
    }

    /// <summary>Opens the writer's own (unpooled) connection with the database's writer cache size.</summary>
    public static async Task<SqliteTraceWrites> OpenAsync(SqliteDatabase database, CancellationToken cancellationToken)
    {
        var connection = await database.OpenDedicatedAsync(cancellationToken).ConfigureAwait(false);
        var cacheSizeKiB = database.WriterCacheSizeKiB;
        try
        {
            await using (var pragma = connection.CreateCommand())
            {
                // NORMAL: a commit is not synced on its own; SqliteTraceStore.FlushAsync syncs many at once before the
                // ingest consumer commits its log offsets. A process crash loses nothing either way (the OS holds the
                // pages); after power loss, the log redelivers what was not synced, and the ids make that harmless.
                pragma.CommandText = $"PRAGMA cache_size=-{cacheSizeKiB}; PRAGMA synchronous=NORMAL;";
                await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return new SqliteTraceWrites(connection);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Writes the batch in one transaction; synced to disk by the next <see cref="SqliteDatabase.SyncFiles"/>.</summary>
    public void Write(TraceWriteBatch batch)
    {
        using var transaction = _connection.BeginTransaction();
        foreach (var command in (ReadOnlySpan<SqliteCommand>)[_upsertTrace, _insertStep, _insertData, _addStepCount])
        {
            command.Transaction = transaction;
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var t in batch.Traces)
        {
            Set(_upsertTraceParameters, t.TraceId, t.ProjectId, t.Name, t.Status, t.StartedAt, t.EndedAt, t.Metadata, t.Output, t.Error, now);
            _upsertTrace.ExecuteNonQuery();
        }

        var inserted = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in batch.Steps)
        {
            Set(_insertStepParameters, s.StepId, s.TraceId, s.TraceId[..24], s.StepNumber, s.Name, s.Kind, s.Status, s.StartedAt, s.EndedAt, s.Document);
            if (_insertStep.ExecuteNonQuery() > 0)
            {
                inserted[s.TraceId] = inserted.GetValueOrDefault(s.TraceId) + 1;
            }
        }

        foreach (var d in batch.Data)
        {
            Set(_insertDataParameters, d.DataId, d.TraceId, d.ProjectId, d.ContentType, d.Size, d.Sha256, d.CreatedAt.ToUnixTimeMilliseconds());
            _insertData.ExecuteNonQuery();
        }

        foreach (var (traceId, added) in inserted)
        {
            Set(_addStepCountParameters, added, traceId);
            _addStepCount.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var command in (SqliteCommand[])[_upsertTrace, _insertStep, _insertData, _addStepCount])
        {
            await command.DisposeAsync().ConfigureAwait(false);
        }

        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private (SqliteCommand Command, SqliteParameter[] Parameters) Prepare(string sql, params string[] names)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        // Untyped parameters: the provider binds each value with its own type (INTEGER stays INTEGER).
        var parameters = names.Select(name => command.Parameters.Add(new SqliteParameter { ParameterName = name })).ToArray();
        command.Prepare();
        return (command, parameters);
    }

    private static void Set(SqliteParameter[] parameters, params object?[] values)
    {
        for (var i = 0; i < parameters.Length; i++)
        {
            parameters[i].Value = values[i] ?? DBNull.Value;
        }
    }
}
