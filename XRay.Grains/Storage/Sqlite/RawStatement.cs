using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace XRay.Grains.Storage.Sqlite;

/// <summary>
/// A prepared SQLite statement that does not return rows, bound by position (<c>?1</c>, <c>?2</c> ...) without
/// allocating: strings as UTF-16 (SQLite converts), integers as they are. Errors surface as <see cref="SqliteException"/>,
/// as from Microsoft.Data.Sqlite. One thread at a time, like the connection it belongs to. A busy database waits
/// the connection's <c>busy_timeout</c> and then fails (<see cref="SqliteCommand"/> would go on retrying up to its
/// command timeout); the ingest consumer retries a failed batch, and the log keeps it until then.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    public RawStatement(sqlite3 db, string sql)
    {
        _db = db;
        SqliteException.ThrowExceptionForRC(raw.sqlite3_prepare_v2(db, sql, out _statement), db);
    }

    public RawStatement Text(int index, string? value)
        => value is null ? Null(index) : Text(index, value.AsSpan());

    /// <summary>Binds text, never NULL: an empty span is '' (tested by the store contract).</summary>
    public RawStatement Text(int index, ReadOnlySpan<char> value) => Check(raw.sqlite3_bind_text16(_statement, index, value));

    public RawStatement Integer(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, index, value));

    public RawStatement Integer(int index, long? value) => value is { } v ? Integer(index, v) : Null(index);

    public RawStatement Null(int index) => Check(raw.sqlite3_bind_null(_statement, index));

    /// <summary>Runs the statement to completion, clears its bindings, and returns the rows it changed.</summary>
    public int Execute()
    {
        var rc = raw.sqlite3_step(_statement);
        raw.sqlite3_reset(_statement);
        raw.sqlite3_clear_bindings(_statement);
        if (rc != raw.SQLITE_DONE)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
            throw new InvalidOperationException($"A write statement returned rows (SQLite result {rc}).");
        }

        return raw.sqlite3_changes(_db);
    }

    public void Dispose() => _statement.Dispose();

    private RawStatement Check(int rc)
    {
        SqliteException.ThrowExceptionForRC(rc, _db);
        return this;
    }
}
