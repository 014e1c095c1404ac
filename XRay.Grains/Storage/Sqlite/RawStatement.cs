using System.Buffers;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace XRay.Grains.Storage.Sqlite;

/// <summary>
/// A prepared SQLite statement that does not return rows, bound by position (<c>?1</c>, <c>?2</c> ...) without
/// allocating: strings as UTF-8, transcoded here (vectorized; SQLite's own conversion of UTF-16 was a tenth of
/// the store's CPU), integers as they are. Errors surface as <see cref="SqliteException"/>,
/// as from Microsoft.Data.Sqlite. One thread at a time, like the connection it belongs to. A busy database waits
/// the connection's <c>busy_timeout</c> and then fails (<see cref="SqliteCommand"/> would go on retrying up to its
/// command timeout); the ingest consumer retries a failed batch, and the log keeps it until then.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    // Text is transcoded into this buffer and bound with SQLITE_TRANSIENT (SQLite copies it), so it is reused.
    private const int MaxKeptBytes = 64 * 1024;
    private byte[] _utf8 = new byte[4096];

    public RawStatement(sqlite3 db, string sql)
    {
        _db = db;
        SqliteException.ThrowExceptionForRC(raw.sqlite3_prepare_v2(db, sql, out _statement), db);
    }

    public RawStatement Text(int index, string? value)
        => value is null ? Null(index) : Text(index, value.AsSpan());

    /// <summary>Binds text, never NULL: an empty span is '' (tested by the store contract).</summary>
    public RawStatement Text(int index, ReadOnlySpan<char> value)
    {
        if (value.IsEmpty)
        {
            // An empty span may pin to a null pointer, which SQLite binds as NULL; the store contract tests that this
            // call binds '' (SQLitePCLRaw substitutes a valid pointer there), so empty text keeps taking it.
            return Check(raw.sqlite3_bind_text16(_statement, index, value));
        }

        var most = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (most > MaxKeptBytes)
        {
            // A rare huge value (a step's document near the event size limit) borrows a buffer instead of keeping one.
            var rented = ArrayPool<byte>.Shared.Rent(most);
            try
            {
                return Check(raw.sqlite3_bind_text(_statement, index, rented.AsSpan(0, Encoding.UTF8.GetBytes(value, rented))));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        if (_utf8.Length < most)
        {
            _utf8 = new byte[Math.Min(Math.Max(most, _utf8.Length * 2), MaxKeptBytes)];
        }

        return Check(raw.sqlite3_bind_text(_statement, index, _utf8.AsSpan(0, Encoding.UTF8.GetBytes(value, _utf8))));
    }

    /// <summary>Binds text that is UTF-8 already (a step's document), never NULL: no transcoding, SQLite copies the bytes.</summary>
    public RawStatement Utf8Text(int index, ReadOnlySpan<byte> utf8) =>
        utf8.IsEmpty ? Text(index, ReadOnlySpan<char>.Empty) : Check(raw.sqlite3_bind_text(_statement, index, utf8));

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
