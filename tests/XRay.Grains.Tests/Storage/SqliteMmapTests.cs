using Microsoft.Data.Sqlite;
using XRay.Grains.Options;
using XRay.Grains.Storage.Sqlite;
using XRay.Grains.Tests.Ingest;

namespace XRay.Grains.Tests.Storage;

/// <summary>
/// <c>Storage:MmapSizeMiB</c>: the pooled connections (the readers) read the file through a map of that size; the trace
/// store's dedicated writer keeps its own page cache, which its own commits do not empty.
/// </summary>
public sealed class SqliteMmapTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    [InlineData(256)]
    public async Task Readers_map_the_configured_size_and_the_writer_none(int mebibytes)
    {
        using var directory = new TempDirectory();
        using var database = new SqliteDatabase(
            Microsoft.Extensions.Options.Options.Create(new SqliteStoreOptions { DataDirectory = directory.Path, MmapSizeMiB = mebibytes }),
            [new SqliteTraceSchema()]);
        try
        {
            await using var pooled = await database.OpenAsync(TestContext.Current.CancellationToken);
            await using var dedicated = await database.OpenDedicatedAsync(TestContext.Current.CancellationToken);
            foreach (var (connection, expected) in new[] { (pooled, (long)mebibytes << 20), (dedicated, 0L) })
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA mmap_size";
                Assert.Equal(expected, (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
        }
    }

    [Theory]
    [InlineData(-1, false)]
    [InlineData(0, true)]
    [InlineData(256, true)]
    [InlineData(1_048_576, true)]
    [InlineData(1_048_577, false)]
    public void The_size_is_checked_at_start_up(int mebibytes, bool valid)
    {
        var result = new SqliteStoreOptionsValidator().Validate(null, new SqliteStoreOptions { MmapSizeMiB = mebibytes });

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains(nameof(SqliteStoreOptions.MmapSizeMiB), result.FailureMessage, StringComparison.Ordinal);
        }
    }
}
