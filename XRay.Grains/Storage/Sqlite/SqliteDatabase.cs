using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using XRay.Grains.Options;

namespace XRay.Grains.Storage.Sqlite;

/// <summary>
/// The embedded store's database file: creates it and its schema on first use, and hands out pooled
/// connections in WAL mode. Schema pieces register as <see cref="ISqliteSchema"/> so each store owns its tables.
/// </summary>
public sealed class SqliteDatabase : IDisposable
{
    private readonly string _connectionString;
    private readonly string _dedicatedConnectionString;
    private readonly int _busyTimeoutMs;
    private readonly long _mmapSizeBytes;
    private readonly IEnumerable<ISqliteSchema> _schemas;
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private volatile bool _initialized;

    public SqliteDatabase(IOptions<SqliteStoreOptions> options, IEnumerable<ISqliteSchema> schemas)
    {
        var value = options.Value;
        PrivateDirectory.Create(Path.GetDirectoryName(value.DatabasePath)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = value.DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            // A command on a locked database retries while less than this has passed (Microsoft.Data.Sqlite's default is
            // 30 s), each try waiting busy_timeout: rounded down, the first busy try of at least a second ends the wait, so
            // Storage:BusyTimeout bounds it (below a second the driver's floor of 1 s applies).
            DefaultTimeout = Math.Max(1, (int)value.BusyTimeout.TotalSeconds),
        }.ToString();
        _dedicatedConnectionString = new SqliteConnectionStringBuilder(_connectionString) { Pooling = false }.ToString();
        _busyTimeoutMs = (int)value.BusyTimeout.TotalMilliseconds;
        _mmapSizeBytes = (long)value.MmapSizeMiB << 20;
        _schemas = schemas;
        DatabasePath = value.DatabasePath;
        WriterCacheSizeKiB = value.WriterCacheSizeMiB * 1024;
        WalAutoCheckpointPages = value.WalAutoCheckpointPages;
    }

    public string DatabasePath { get; }

    /// <summary>Page cache of the trace store's long-lived writer connection, in KiB.</summary>
    public int WriterCacheSizeKiB { get; }

    /// <summary>Write-ahead log size, in pages, at which the trace store's writer checkpoints it into the database file.</summary>
    public int WalAutoCheckpointPages { get; }

    public void Dispose() => _initLock.Dispose();

    /// <summary>
    /// Opens a pooled connection with the store's pragmas applied, creating the schema on first use. It reads the file
    /// through a memory map (<see cref="SqliteStoreOptions.MmapSizeMiB"/>): a pooled connection's page cache is emptied
    /// whenever another connection has committed, which during ingest is always.
    /// </summary>
    public Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken = default) =>
        OpenInitializedAsync(_connectionString, _mmapSizeBytes, cancellationToken);

    /// <summary>
    /// Opens a connection outside the pool, for a long-lived owner that changes its settings (the trace store's
    /// writer): closing it must not hand those settings to the next pooled user. It maps nothing: its own commits keep
    /// its page cache, and at the maximum ingest rate a mapped writer sustained less (docs/benchmarks.md).
    /// </summary>
    public Task<SqliteConnection> OpenDedicatedAsync(CancellationToken cancellationToken = default) =>
        OpenInitializedAsync(_dedicatedConnectionString, mmapSizeBytes: 0, cancellationToken);

    /// <summary>
    /// Syncs the write-ahead log to disk (fsync). Used by writers that commit with <c>synchronous=NORMAL</c> and make
    /// their commits durable in groups; see <see cref="SqliteTraceStore.FlushAsync"/>.
    /// </summary>
    /// <remarks>
    /// The log is all that needs it: under <c>NORMAL</c> (or <c>FULL</c>) SQLite syncs the database file at the end of
    /// every checkpoint that reaches the end of the log, the only kind after which it reuses the log, so a commit is
    /// always in the log or in a synced database file.
    /// The database file must not be opened here at all. Closing any descriptor of a file drops every POSIX lock the
    /// process holds on it, SQLite's shared lock included; without that lock, the next process that closes its own
    /// connection to the file (the <c>sqlite3</c> shell, a backup script) believes it is the last user, checkpoints,
    /// and deletes the write-ahead log and its index under the running server, whose later commits then go to a
    /// deleted file. SQLite takes no POSIX locks on the log itself, so opening and closing it here is harmless.
    /// </remarks>
    /// <returns>False when there is no log: nothing written yet, or the last connection checkpointed it into the database
    /// file (synced) and removed it.</returns>
    public bool SyncFiles()
    {
        try
        {
            using var handle = File.OpenHandle(DatabasePath + "-wal", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            RandomAccess.FlushToDisk(handle);
            return true;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }

    private async Task<SqliteConnection> OpenInitializedAsync(string connectionString, long mmapSizeBytes, CancellationToken cancellationToken)
    {
        if (!_initialized)
        {
            await InitializeAsync(cancellationToken).ConfigureAwait(false);
        }

        return await OpenRawAsync(connectionString, mmapSizeBytes, cancellationToken).ConfigureAwait(false);
    }

    private async Task<SqliteConnection> OpenRawAsync(string connectionString, long mmapSizeBytes, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            // FULL: a write that was answered 201/202 survives power loss, not only a crash.
            // wal_autocheckpoint: whichever connection commits past the threshold checkpoints; all share one threshold.
            // mmap_size: pages are read from the OS page cache through a map, not copied in by a system call each.
            command.CommandText = $"PRAGMA busy_timeout={_busyTimeoutMs}; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint={WalAutoCheckpointPages}; PRAGMA mmap_size={mmapSizeBytes};";
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Adds <paramref name="column"/> unless its table has it (<see cref="AddOnceAsync"/>).
    /// </summary>
    private static Task AddColumnAsync(SqliteConnection connection, SqliteAddedColumn column, CancellationToken cancellationToken) =>
        AddOnceAsync(
            connection,
            transaction => HasColumnAsync(connection, column, transaction, cancellationToken),
            $"ALTER TABLE {column.Table} ADD COLUMN {column.Column} {column.Definition}",
            cancellationToken);

    /// <summary>
    /// Runs <paramref name="table"/>'s statements unless the table exists (<see cref="AddOnceAsync"/>). The statements fill
    /// the table from the rows already there in the same transaction, so it is filled exactly once, whoever starts first
    /// and however often.
    /// </summary>
    private static Task AddTableAsync(SqliteConnection connection, SqliteAddedTable table, CancellationToken cancellationToken) =>
        AddOnceAsync(
            connection,
            transaction => HasTableAsync(connection, table, transaction, cancellationToken),
            table.Statements,
            cancellationToken);

    /// <summary>
    /// Runs <paramref name="statements"/> unless <paramref name="exists"/>. Looked up first without a lock (the usual case:
    /// present); when missing, checked again and run in one write transaction, so two processes starting on one file cannot
    /// both run them.
    /// </summary>
    private static async Task AddOnceAsync(
        SqliteConnection connection, Func<SqliteTransaction?, Task<bool>> exists, string statements, CancellationToken cancellationToken)
    {
        if (await exists(null).ConfigureAwait(false))
        {
            return;
        }

        await using var transaction = connection.BeginTransaction(deferred: false); // BEGIN IMMEDIATE
        if (!await exists(transaction).ConfigureAwait(false))
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = statements;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<bool> HasTableAsync(SqliteConnection connection, SqliteAddedTable table, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = $table";
        command.Parameters.AddWithValue("$table", table.Table);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! > 0;
    }

    private static async Task<bool> HasColumnAsync(SqliteConnection connection, SqliteAddedColumn column, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT COUNT(*) FROM pragma_table_info($table) WHERE name = $column";
        command.Parameters.AddWithValue("$table", column.Table);
        command.Parameters.AddWithValue("$column", column.Column);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! > 0;
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _initLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized)
            {
                return;
            }

            await using var connection = await OpenRawAsync(_connectionString, mmapSizeBytes: 0, cancellationToken).ConfigureAwait(false);
            await using (var wal = connection.CreateCommand())
            {
                wal.CommandText = "PRAGMA journal_mode=WAL;";
                await wal.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            foreach (var schema in _schemas)
            {
                await using (var command = connection.CreateCommand())
                {
                    command.CommandText = schema.CreateStatements;
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                foreach (var column in schema.AddedColumns)
                {
                    await AddColumnAsync(connection, column, cancellationToken).ConfigureAwait(false);
                }

                foreach (var table in schema.AddedTables)
                {
                    await AddTableAsync(connection, table, cancellationToken).ConfigureAwait(false);
                }
            }

            _initialized = true;
        }
        finally
        {
            _initLock.Release();
        }
    }
}

/// <summary>Idempotent DDL (<c>CREATE ... IF NOT EXISTS</c>) for one store's tables and indexes.</summary>
public interface ISqliteSchema
{
    string CreateStatements { get; }

    /// <summary>Columns added to a table after stores were made with it: added at start where missing (in <see cref="CreateStatements"/> too).</summary>
    IReadOnlyList<SqliteAddedColumn> AddedColumns => [];

    /// <summary>Tables added after stores were made, each made (and filled from the rows already stored) once, at start, where missing.</summary>
    IReadOnlyList<SqliteAddedTable> AddedTables => [];
}

/// <summary>A column added to <paramref name="Table"/> after its first release: <c>ALTER TABLE ... ADD COLUMN</c>.</summary>
public sealed record SqliteAddedColumn(string Table, string Column, string Definition);

/// <summary>
/// A table added after the first release: <paramref name="Statements"/> create <paramref name="Table"/> (without
/// <c>IF NOT EXISTS</c>), whatever keeps it current (triggers), and fill it from the rows already stored, in one transaction.
/// </summary>
public sealed record SqliteAddedTable(string Table, string Statements);
