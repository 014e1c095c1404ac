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
        const long threshold = 16 << 20; // passed after ~185 commits of ~90 KB: the checks at commits 64 and 128 find it smaller
        const int configured = 64 * 1024;
        Assert.Equal(configured, _database.Database.WriterCacheSizeKiB); // the product's default, above the cap
        await using var writes = await SqliteTraceWrites.OpenAsync(_database.Database, TestContext.Current.CancellationToken, fullCacheFromBytes: threshold);
        Assert.Equal(SqliteTraceWrites.SmallStoreCacheKiB, writes.ReadCacheSizeKiB());

        var projectId = NewObjectId();
        var document = StepRecords.Json($"{{\"reasoning\":\"{new string('x', 2_000)}\"}}");
        var seen = new List<(int Commit, long Bytes, int CacheKiB)>();
        for (var commit = 1; commit <= 500 && writes.ReadCacheSizeKiB() != configured; commit++)
        {
            var traceId = NewTraceId(projectId);
            writes.Write(new TraceWriteBatch([], [.. Enumerable.Range(1, 20).Select(n => new StepRecord(NewUuid(), traceId, n, "rank", null, "ok", 1_000, null, document))], []));
            seen.Add((commit, await DatabaseBytesAsync(), writes.ReadCacheSizeKiB()));
        }

        Assert.Equal(configured, writes.ReadCacheSizeKiB());
        var below = seen.Where(s => s.Bytes < threshold).ToList();
        Assert.Contains(below, s => s.Commit >= 128); // periodic checks ran below the threshold ...
        Assert.All(below, s => Assert.Equal(SqliteTraceWrites.SmallStoreCacheKiB, s.CacheKiB)); // ... and kept the cap
        var switched = seen.First(s => s.CacheKiB == configured);
        Assert.True(switched.Bytes >= threshold, $"switched at {switched.Bytes} bytes");
        Assert.True(switched.Commit - below[^1].Commit <= 64, "switched more than 64 commits after the threshold");
    }

    [Fact]
    public async Task A_configured_cache_below_the_cap_is_used_as_it_is()
    {
        using var small = new SqliteTestDatabase(writerCacheSizeMiB: 2);
        await using var writes = await SqliteTraceWrites.OpenAsync(small.Database, TestContext.Current.CancellationToken);
        Assert.Equal(2 * 1024, writes.ReadCacheSizeKiB());
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
