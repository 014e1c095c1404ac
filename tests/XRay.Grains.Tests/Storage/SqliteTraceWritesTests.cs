using XRay.Grains.Storage;
using XRay.Grains.Storage.Sqlite;
using static XRay.Grains.Tests.Storage.StoreIds;

namespace XRay.Grains.Tests.Storage;

/// <summary>The store's writer connection: its page cache stays small while the database is.</summary>
public sealed class SqliteTraceWritesTests : IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    [Fact]
    public async Task The_page_cache_is_capped_until_the_database_reaches_the_threshold_then_takes_the_configured_size()
    {
        const long threshold = 1 << 20;
        await using var writes = await SqliteTraceWrites.OpenAsync(_database.Database, TestContext.Current.CancellationToken, fullCacheFromBytes: threshold);
        Assert.Equal(64 * 1024, _database.Database.WriterCacheSizeKiB); // the default, above the cap
        Assert.Equal(SqliteTraceWrites.SmallStoreCacheKiB, writes.CacheSizeKiB);

        var projectId = NewObjectId();
        var document = $"{{\"reasoning\":\"{new string('x', 2_000)}\"}}";
        var seen = new List<(long Bytes, int CacheKiB)>();
        for (var commit = 0; commit < 500 && writes.CacheSizeKiB != 64 * 1024; commit++)
        {
            var traceId = NewTraceId(projectId);
            writes.Write(new TraceWriteBatch([], [.. Enumerable.Range(1, 20).Select(n => new StepRecord(NewUuid(), traceId, n, "rank", null, "ok", 1_000, null, document))], []));
            seen.Add((await DatabaseBytesAsync(), writes.CacheSizeKiB));
        }

        Assert.Equal(64 * 1024, writes.CacheSizeKiB);
        Assert.All(seen.Where(s => s.Bytes < threshold), s => Assert.Equal(SqliteTraceWrites.SmallStoreCacheKiB, s.CacheKiB));
        Assert.True(seen.First(s => s.CacheKiB == 64 * 1024).Bytes >= threshold);
    }

    [Fact]
    public async Task A_configured_cache_below_the_cap_is_used_as_it_is()
    {
        using var small = new SqliteTestDatabase(writerCacheSizeMiB: 2);
        await using var writes = await SqliteTraceWrites.OpenAsync(small.Database, TestContext.Current.CancellationToken);
        Assert.Equal(2 * 1024, writes.CacheSizeKiB);
    }

    /// <summary>The database's size as SQLite counts it (pages in the file and in the write-ahead log), read by another connection.</summary>
    private async Task<long> DatabaseBytesAsync()
    {
        await using var connection = await _database.Database.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()";
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    public void Dispose() => _database.Dispose();
}
