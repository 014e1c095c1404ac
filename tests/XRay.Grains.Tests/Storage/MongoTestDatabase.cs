using Microsoft.Extensions.Logging.Abstractions;
using MongoDB.Driver;
using XRay.Grains.Options;
using XRay.Grains.Storage.Mongo;

namespace XRay.Grains.Tests.Storage;

/// <summary>
/// A uniquely named database on the server named by <c>XRAY_TEST_MONGO</c>, dropped with the test; without that
/// variable the test is skipped, saying why.
/// </summary>
internal sealed class MongoTestDatabase : IAsyncDisposable
{
    public const string Variable = "XRAY_TEST_MONGO";
    public const string SkipReason = "MongoDB tests need a server: set XRAY_TEST_MONGO=mongodb://...";

    private MongoClient? _client;

    private MongoTestDatabase(string connectionString, string testClass)
    {
        // Database names are at most 63 bytes: a short class tag plus a random suffix.
        var name = $"xray_test_{testClass[..Math.Min(testClass.Length, 20)]}_{Guid.NewGuid():N}";
        Database = new MongoStoreDatabase(
            Microsoft.Extensions.Options.Options.Create(new MongoStoreOptions
            {
                // Every contract test runs as if the operator preferred secondaries: on a replica set a read that is
                // not pinned to the primary fails (no secondary in a one-member set) or reads stale data.
                ConnectionString = new MongoUrlBuilder(connectionString) { ReadPreference = ReadPreference.Secondary }.ToString(),
                Database = name,
                ClientFactory = settings => _client = new MongoClient(settings),
            }),
            [new MongoAccountSchema(), new MongoTraceSchema()],
            NullLogger<MongoStoreDatabase>.Instance);
    }

    public MongoStoreDatabase Database { get; }

    /// <summary>Opens a fresh database, or skips the running test when no server is configured.</summary>
    public static MongoTestDatabase OpenOrSkip(string testClass)
    {
        var connectionString = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            Assert.Skip(SkipReason);
        }

        return new MongoTestDatabase(connectionString, testClass);
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DropDatabaseAsync(Database.DatabaseName, CancellationToken.None);
            _client.Dispose();
        }

        Database.Dispose();
    }
}
