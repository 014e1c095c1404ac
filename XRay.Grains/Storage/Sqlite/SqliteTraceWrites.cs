using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace XRay.Grains.Storage.Sqlite;

/// <summary>
/// The store's single writer: one long-lived connection with its statements prepared once. SQLite has one
/// writer at a time anyway; keeping it on one connection keeps that connection's page cache warm (a pooled
/// connection that another connection wrote behind must drop its cache) and skips re-preparing statements.
/// Not thread-safe: <see cref="SqliteTraceStore"/> serializes callers.
/// </summary>
/// <remarks>
/// The statements are SQLite's own (<see cref="RawStatement"/>), bound by position from strings' UTF-16 directly:
/// through <see cref="SqliteCommand"/> every row allocated a binder per parameter, boxed its integers and encoded
/// every string to a fresh UTF-8 array, about a sixth of the gateway's allocations at half the maximum rate.
/// </remarks>
internal sealed class SqliteTraceWrites : IAsyncDisposable
{
    /// <summary>The writer's page cache while the database is smaller than <see cref="LockBytePageBytes"/>, at most.</summary>
    internal const int SmallStoreCacheKiB = 16 * 1024;

    /// <summary>
    /// Where SQLite's lock-byte page starts (<c>PENDING_BYTE</c>, 1 GiB). When a b-tree balance reorders pages, SQLite
    /// swaps their numbers through the lock-byte page's number (262,145 with 4 KiB pages), which leaves the page cache's
    /// highest key there. While the database is smaller, the end of every transaction after such a balance walks the
    /// writer's whole page cache (<c>pcache1TruncateUnsafe</c>): with 64 MiB (16,384 pages) cached, 1.2–2.5 % of the
    /// gateway's CPU samples at 11,400 events/s and 4.9 % at 2,000. So below it the cache is capped; 16 MiB rather than
    /// less leaves room for the hot leaves of a few thousand traces in flight. Past it the walk never happens and the
    /// configured size applies.
    /// </summary>
    internal const long LockBytePageBytes = 0x4000_0000;

    /// <summary>Commits between two checks of the database's size while the cache is capped.</summary>
    private const int CommitsPerSizeCheck = 64;

    private readonly SqliteConnection _connection;
    private readonly int _configuredCacheSizeKiB;
    private int _cacheSizeKiB; // as set now: the configured size, or less while the database is small
    private readonly long _fullCacheFromBytes;
    private int _commitsSinceSizeCheck;
    private readonly RawStatement _upsertTrace;
    private readonly RawStatement _insertStep;
    private readonly RawStatement _insertData;
    private readonly RawStatement _addStepCount;
    private readonly RawStatement _addProjectCounts;
    private readonly Dictionary<string, int> _inserted = new(StringComparer.Ordinal);

    // Steps and data newly inserted per project in this transaction, looked up by a span of the trace id (no allocation per step).
    private readonly Dictionary<string, (int Steps, int Data)> _projectAdds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Steps, int Data)>.AlternateLookup<ReadOnlySpan<char>> _projectAddsBySpan;

    private SqliteTraceWrites(SqliteConnection connection, int cacheSizeKiB, long fullCacheFromBytes)
    {
        _connection = connection;
        _configuredCacheSizeKiB = cacheSizeKiB;
        _fullCacheFromBytes = fullCacheFromBytes;
        _projectAddsBySpan = _projectAdds.GetAlternateLookup<ReadOnlySpan<char>>();
        var db = connection.Handle!;

        try
        {
            // A new trace starts with the steps already stored for it (steps may arrive first); afterwards its count
            // only grows by newly inserted steps (_addStepCount): O(1) per trace, however long the trace.
            // The merge of TraceUpsert.Merge (no time: the least 64-bit integer). In SET every expression sees the row as it was
            // before the update.
            const string names = """
                excluded.name IS NOT NULL AND (traces.name IS NULL OR
                    (COALESCE(excluded.namedAt, -9223372036854775808), excluded.name, COALESCE(excluded.metadata, '')) >
                    (COALESCE(traces.namedAt, -9223372036854775808), traces.name, COALESCE(traces.metadata, '')))
                """;
            const string ends = """
                excluded.status <> 'running' AND (traces.status = 'running' OR
                    (COALESCE(excluded.endedAt, -9223372036854775808), excluded.status = 'failure', COALESCE(excluded.output, ''), COALESCE(excluded.error, '')) >
                    (COALESCE(traces.endedAt, -9223372036854775808), traces.status = 'failure', COALESCE(traces.output, ''), COALESCE(traces.error, '')))
                """;
            _upsertTrace = new RawStatement(db, $"""
                INSERT INTO traces (traceId, projectId, name, status, startedAt, endedAt, metadata, output, error, stepCount, updatedAt, namedAt)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, (SELECT COUNT(*) FROM steps WHERE traceId = ?1), ?10, ?11)
                ON CONFLICT(traceId) DO UPDATE SET
                    name = CASE WHEN {names} THEN excluded.name ELSE traces.name END,
                    metadata = CASE WHEN {names} THEN excluded.metadata ELSE traces.metadata END,
                    namedAt = CASE WHEN {names} THEN excluded.namedAt ELSE traces.namedAt END,
                    status = CASE WHEN {ends} THEN excluded.status ELSE traces.status END,
                    endedAt = CASE WHEN {ends} THEN excluded.endedAt ELSE traces.endedAt END,
                    output = CASE WHEN {ends} THEN excluded.output ELSE traces.output END,
                    error = CASE WHEN {ends} THEN excluded.error ELSE traces.error END,
                    startedAt = MIN(traces.startedAt, excluded.startedAt),
                    updatedAt = excluded.updatedAt
                """);
            _insertStep = new RawStatement(db, """
                INSERT INTO steps (stepId, traceId, projectId, stepNumber, name, kind, status, startedAt, endedAt, document)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                ON CONFLICT(stepId) DO NOTHING
                """);
            _insertData = new RawStatement(db, """
                INSERT INTO data (dataId, traceId, projectId, contentType, size, sha256, createdAt)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                ON CONFLICT(dataId) DO NOTHING
                """);
            _addStepCount = new RawStatement(db, "UPDATE traces SET stepCount = stepCount + ?1 WHERE traceId = ?2");

            // The project totals of SqliteTraceSchema.AddedTables; traces are counted there by triggers.
            _addProjectCounts = new RawStatement(db, """
                INSERT INTO projectStats (projectId, steps, data) VALUES (?1, ?2, ?3)
                ON CONFLICT(projectId) DO UPDATE SET steps = steps + excluded.steps, data = data + excluded.data
                """);
        }
        catch
        {
            // Close what was prepared, or the connection stays half-open until the GC finalizes it.
            foreach (var statement in (RawStatement?[])[_upsertTrace, _insertStep, _insertData, _addStepCount, _addProjectCounts])
            {
                statement?.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// Opens the writer's own (unpooled) connection with the database's writer cache size, capped at
    /// <see cref="SmallStoreCacheKiB"/> until the database reaches <paramref name="fullCacheFromBytes"/>
    /// (<see cref="LockBytePageBytes"/>; tests pass less).
    /// </summary>
    public static async Task<SqliteTraceWrites> OpenAsync(SqliteDatabase database, CancellationToken cancellationToken, long fullCacheFromBytes = LockBytePageBytes)
    {
        var connection = await database.OpenDedicatedAsync(cancellationToken).ConfigureAwait(false);
        SqliteTraceWrites? writes = null;
        try
        {
            await using (var pragma = connection.CreateCommand())
            {
                // NORMAL: a commit is not synced on its own; SqliteTraceStore.FlushAsync syncs many at once before the
                // ingest consumer commits its log offsets. A process crash loses nothing either way (the OS holds the
                // pages); after power loss, the log redelivers what was not synced, and the ids make that harmless.
                pragma.CommandText = "PRAGMA synchronous=NORMAL;";
                await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            writes = new SqliteTraceWrites(connection, database.WriterCacheSizeKiB, fullCacheFromBytes);
            writes.SizeCache(transaction: null);
            return writes;
        }
        catch
        {
            // The writer owns its statements and the connection: disposing it closes them all.
            if (writes is null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                await writes.DisposeAsync().ConfigureAwait(false);
            }
            throw;
        }
    }

    /// <summary>Writes the batch in one transaction; synced to disk by the next <see cref="SqliteDatabase.SyncFiles"/>. Returns the rows newly inserted.</summary>
    public TraceWriteCounts Write(TraceWriteBatch batch)
    {
        using var transaction = _connection.BeginTransaction();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var t in batch.Traces)
        {
            _upsertTrace.Text(1, t.TraceId).Text(2, t.ProjectId).Text(3, t.Name).Text(4, t.Status).Integer(5, t.StartedAt)
                .Integer(6, t.EndedAt).Text(7, t.Metadata).Text(8, t.Output).Text(9, t.Error).Integer(10, now).Integer(11, t.NamedAt).Execute();
        }

        _inserted.Clear();
        _projectAdds.Clear();
        var stepsInserted = 0;
        var dataInserted = 0;
        foreach (var s in batch.Steps)
        {
            var changed = _insertStep.Text(1, s.StepId).Text(2, s.TraceId).Text(3, ProjectOf(s.TraceId)).Integer(4, s.StepNumber)
                .Text(5, s.Name).Text(6, s.Kind).Text(7, s.Status).Integer(8, s.StartedAt).Integer(9, s.EndedAt).Utf8Text(10, s.Document)
                .Execute();
            if (changed > 0)
            {
                _inserted[s.TraceId] = _inserted.GetValueOrDefault(s.TraceId) + 1;
                stepsInserted++;
            }
        }

        foreach (var d in batch.Data)
        {
            var changed = _insertData.Text(1, d.DataId).Text(2, d.TraceId).Text(3, d.ProjectId).Text(4, d.ContentType).Integer(5, d.Size)
                .Text(6, d.Sha256).Integer(7, d.CreatedAt.ToUnixTimeMilliseconds()).Execute();
            if (changed > 0)
            {
                ProjectAdds(d.ProjectId).Data++;
                dataInserted++;
            }
        }

        foreach (var (traceId, added) in _inserted)
        {
            _addStepCount.Integer(1, added).Text(2, traceId).Execute();
            ProjectAdds(ProjectOf(traceId)).Steps += added;
        }

        foreach (var (projectId, (steps, data)) in _projectAdds)
        {
            _addProjectCounts.Text(1, projectId).Integer(2, steps).Integer(3, data).Execute();
        }

        if (_cacheSizeKiB < _configuredCacheSizeKiB && ++_commitsSinceSizeCheck >= CommitsPerSizeCheck)
        {
            // Before the commit: should the check fail, the batch rolls back with it and is retried, not reported
            // failed although committed.
            SizeCache(transaction);
        }

        transaction.Commit();
        return new TraceWriteCounts(stepsInserted, dataInserted);
    }

    /// <summary>The page cache SQLite has for the writer now, in KiB (tests).</summary>
    internal int ReadCacheSizeKiB()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT cache_size, page_size FROM pragma_cache_size(), pragma_page_size()";
        using var reader = command.ExecuteReader();
        reader.Read();
        var size = reader.GetInt64(0); // negative: KiB; positive: pages
        return (int)(size < 0 ? -size : size * reader.GetInt64(1) / 1024);
    }

    /// <summary>Sets the page cache for the database's size now: capped while small (<see cref="LockBytePageBytes"/>).</summary>
    private void SizeCache(SqliteTransaction? transaction)
    {
        _commitsSinceSizeCheck = 0;
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()";
        var bytes = (long)command.ExecuteScalar()!;
        var size = bytes >= _fullCacheFromBytes ? _configuredCacheSizeKiB : Math.Min(_configuredCacheSizeKiB, SmallStoreCacheKiB);
        if (size != _cacheSizeKiB)
        {
            command.CommandText = $"PRAGMA cache_size=-{size}";
            command.ExecuteNonQuery();
            _cacheSizeKiB = size;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var statement in (RawStatement[])[_upsertTrace, _insertStep, _insertData, _addStepCount, _addProjectCounts])
        {
            statement.Dispose();
        }

        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The project's entry in <see cref="_projectAdds"/>, added on its first step or blob in the transaction.</summary>
    private ref (int Steps, int Data) ProjectAdds(ReadOnlySpan<char> projectId) =>
        ref CollectionsMarshal.GetValueRefOrAddDefault(_projectAddsBySpan, projectId, out _);

    /// <summary>A trace id is <c>{projectId}-{uuid}</c> and a project id 24 characters (checked at ingest).</summary>
    private static ReadOnlySpan<char> ProjectOf(string traceId) => traceId.AsSpan(0, 24);
}
