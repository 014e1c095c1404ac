using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace XRay.Grains.Storage.Sqlite;

/// <summary>The trace collections in SQLite. Writes are bulk transactions on one writer connection, synced to disk in groups by <see cref="FlushAsync"/>.</summary>
public sealed class SqliteTraceStore(SqliteDatabase database) : ITraceStore, IAsyncDisposable
{
    private const string TraceColumns = "traceId, projectId, name, status, startedAt, endedAt, metadata, output, error, stepCount, updatedAt";

    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private SqliteTraceWrites? _writes;
    private bool _disposed;
    private volatile Exception? _flushFault;

    public async Task<TraceWriteCounts> WriteAsync(TraceWriteBatch batch, CancellationToken cancellationToken = default)
    {
        // Commits are not synced one by one (WAL, synchronous=NORMAL): FlushAsync syncs the WAL for many of them.
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _writes ??= await SqliteTraceWrites.OpenAsync(database, cancellationToken).ConfigureAwait(false);
            try
            {
                return _writes.Write(batch);
            }
            catch
            {
                // The transaction rolled back; reopen on the next write rather than trust the connection's state.
                var failed = _writes;
                _writes = null;
                await failed.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            if (_writes is not null)
            {
                await _writes.DisposeAsync().ConfigureAwait(false);
                _writes = null;
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task InsertDataAsync(IReadOnlyList<DataRecord> data, CancellationToken cancellationToken = default)
    {
        await WriteAsync(new TraceWriteBatch([], [], data), cancellationToken).ConfigureAwait(false);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// A committed transaction is in the write-ahead log (or, after a checkpoint, in the database file, which SQLite
    /// syncs before it reuses the log). Syncing the log makes every transaction committed before this call durable
    /// (<see cref="SqliteDatabase.SyncFiles"/>). The sync runs beside the writer: it never holds up the next transaction.
    /// After a failed sync the page cache no longer says what is on disk, and a second fsync can succeed without the
    /// lost pages ever being written: the store then refuses every later flush until restart (as the ingest log does),
    /// so the consumer never commits offsets past data that may be lost. After the restart the log redelivers it.
    /// </remarks>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_flushFault is { } fault)
        {
            return Task.FromException(fault);
        }

        // fsync blocks: inline on the consumer's low-priority background threads (Ingest.BackgroundWork), which
        // exist for it; anyone else's call goes to the thread pool.
        if (!Ingest.BackgroundWork.IsCurrentThread)
        {
            return Task.Run(Sync, cancellationToken);
        }

        try
        {
            Sync();
            return Task.CompletedTask;
        }
        catch (IOException ex)
        {
            return Task.FromException(ex);
        }

        void Sync()
        {
            // Read before the log is looked for: an open writer connection keeps the log in place, so if it is gone the log
            // was deleted under it, and commits since went to a deleted file.
            var writer = Volatile.Read(ref _writes);
            bool synced;
            try
            {
                synced = database.SyncFiles();
            }
            catch (IOException ex)
            {
                _flushFault ??= new IOException("Syncing the trace store failed; it takes no more flushes until restarted.", ex);
                throw _flushFault;
            }

            if (!synced && writer is not null && ReferenceEquals(writer, Volatile.Read(ref _writes)))
            {
                _flushFault ??= new IOException(
                    $"The trace store's write-ahead log '{database.DatabasePath}-wal' was deleted while the server had it open (another process closing " +
                    "its connection to the file as its last user?); what was committed since is not durable. The store takes no more flushes until " +
                    "restarted; the ingest log then redelivers what was not committed.");
                throw _flushFault;
            }
        }
    }

    public async Task<DataRecord?> FindDataAsync(string traceId, string dataId, CancellationToken cancellationToken = default)
    {
        var rows = await QueryDataAsync("traceId = $trace AND dataId = $data", traceId, dataId, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public Task<IReadOnlyList<DataRecord>> GetDataAsync(string traceId, CancellationToken cancellationToken = default) =>
        QueryDataAsync("traceId = $trace ORDER BY createdAt, dataId", traceId, null, cancellationToken);

    public async Task<TraceRecord?> GetTraceAsync(string traceId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {TraceColumns} FROM traces WHERE traceId = $trace";
        command.Parameters.AddWithValue("$trace", traceId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadTrace(reader) : null;
    }

    /// <inheritdoc />
    /// <remarks>A text column read as a blob gives its UTF-8 bytes as stored: no transcoding, one copy per step.</remarks>
    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadStepDocumentsAsync(string traceId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT document FROM steps WHERE traceId = $trace ORDER BY stepNumber, startedAt, stepId";
        command.Parameters.AddWithValue("$trace", traceId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return reader.GetFieldValue<byte[]>(0);
        }
    }

    public async Task<IReadOnlyList<TraceRecord>> ListTracesAsync(string projectId, TraceQuery query, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        var where = new List<string> { "projectId = $project" };
        command.Parameters.AddWithValue("$project", projectId);
        if (query.Status is not null)
        {
            where.Add("status = $status");
            command.Parameters.AddWithValue("$status", query.Status);
        }

        if (query.Name is not null)
        {
            where.Add("name = $name");
            command.Parameters.AddWithValue("$name", query.Name);
        }

        if (query.From is not null)
        {
            where.Add("startedAt >= $from");
            command.Parameters.AddWithValue("$from", query.From);
        }

        if (query.To is not null)
        {
            where.Add("startedAt < $to");
            command.Parameters.AddWithValue("$to", query.To);
        }

        if (query.After is not null)
        {
            where.Add("(startedAt, traceId) < ($afterStarted, $afterTrace)");
            command.Parameters.AddWithValue("$afterStarted", query.After.StartedAt);
            command.Parameters.AddWithValue("$afterTrace", query.After.TraceId);
        }

        command.CommandText = $"SELECT {TraceColumns} FROM traces WHERE {string.Join(" AND ", where)} ORDER BY startedAt DESC, traceId DESC LIMIT $limit";
        command.Parameters.AddWithValue("$limit", query.Limit);
        var traces = new List<TraceRecord>(query.Limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            traces.Add(ReadTrace(reader));
        }

        return traces;
    }

    public async Task<IReadOnlyList<StepRecord>> QueryStepsAsync(string projectId, StepQuery query, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        SqliteStepQuery.Build(command, projectId, query);
        var steps = new List<StepRecord>(query.Limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            steps.Add(ReadStep(reader));
        }

        return steps;
    }

    /// <inheritdoc />
    /// <remarks>One row of <c>projectStats</c>, kept by the writer's transactions (<see cref="SqliteTraceSchema.AddedTables"/>).</remarks>
    public async Task<ProjectStats> GetProjectStatsAsync(string projectId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT traces, running, success, failure, steps, data FROM projectStats WHERE projectId = $project";
        command.Parameters.AddWithValue("$project", projectId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new ProjectStats(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5))
            : ProjectStats.Empty;
    }

    private async Task<IReadOnlyList<DataRecord>> QueryDataAsync(string where, string traceId, string? dataId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT dataId, traceId, projectId, contentType, size, sha256, createdAt FROM data WHERE {where}";
        command.Parameters.AddWithValue("$trace", traceId);
        if (dataId is not null)
        {
            command.Parameters.AddWithValue("$data", dataId);
        }

        var rows = new List<DataRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new DataRecord(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6))));
        }

        return rows;
    }

    private static StepRecord ReadStep(SqliteDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5), reader.GetInt64(6),
        reader.IsDBNull(7) ? null : reader.GetInt64(7), reader.GetFieldValue<byte[]>(8));

    private static TraceRecord ReadTrace(SqliteDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3),
        reader.GetInt64(4), reader.IsDBNull(5) ? null : reader.GetInt64(5),
        reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7),
        reader.IsDBNull(8) ? null : reader.GetString(8), reader.GetInt32(9), reader.GetInt64(10));
}
