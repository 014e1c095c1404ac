using XRay.Grains.Options;
using XRay.Grains.Storage.Sqlite;
using XRay.Grains.Tests.Ingest;

namespace XRay.Grains.Tests.Storage;

/// <summary>A SQLite database in a fresh temp directory, deleted with the test.</summary>
internal sealed class SqliteTestDatabase : IDisposable
{
    private readonly TempDirectory _directory = new();

    /// <param name="writerCacheSizeMiB">The writer's page cache; the product's default when null.</param>
    public SqliteTestDatabase(int? writerCacheSizeMiB = null) =>
        Database = new SqliteDatabase(
            Microsoft.Extensions.Options.Options.Create(new SqliteStoreOptions { DataDirectory = _directory.Path, WriterCacheSizeMiB = writerCacheSizeMiB ?? new SqliteStoreOptions().WriterCacheSizeMiB }),
            [new SqliteAccountSchema(), new SqliteTraceSchema()]);

    public SqliteDatabase Database { get; }

    public void Dispose()
    {
        Database.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }
}
