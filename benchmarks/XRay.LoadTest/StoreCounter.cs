using Microsoft.Data.Sqlite;

namespace XRay.LoadTest;

/// <summary>
/// Counts the events a project's rows in the gateway's SQLite file stand for, read-only and without going
/// through the server: steps + trace starts (traces with a name) + successes. That is "written to the store".
/// </summary>
internal sealed class StoreCounter(string databasePath, string projectId) : IDisposable
{
    private SqliteConnection? _connection;

    public async Task<long> CountEventsAsync()
    {
        if (_connection is null)
        {
            _connection = new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = databasePath,
                Mode = SqliteOpenMode.ReadOnly,
                Pooling = false,
            }.ToString());
            await _connection.OpenAsync();
        }

        // steps: max(rowid) costs nothing and equals the row count (steps are never deleted); the
        // project filter is on traces only because one load run writes one project.
        await using var command = _connection.CreateCommand();
        command.CommandText = """
            SELECT COALESCE((SELECT max(rowid) FROM steps), 0)
                 + (SELECT count(name) + sum(status = 'success') FROM traces WHERE projectId = $project)
            """;
        command.Parameters.AddWithValue("$project", projectId);
        var result = await command.ExecuteScalarAsync();
        return result is long n ? n : 0;
    }

    public void Dispose() => _connection?.Dispose();
}
