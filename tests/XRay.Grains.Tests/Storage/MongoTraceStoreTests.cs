using Microsoft.Extensions.Logging.Abstractions;
using XRay.Grains.Storage;
using XRay.Grains.Storage.Mongo;

namespace XRay.Grains.Tests.Storage;

/// <summary>The trace contract on MongoDB; skipped unless <c>XRAY_TEST_MONGO</c> names a server.</summary>
public sealed class MongoTraceStoreTests : TraceStoreContractTests, IAsyncDisposable
{
    private MongoTestDatabase? _database;

    protected override ITraceStore CreateStore()
    {
        _database ??= MongoTestDatabase.OpenOrSkip("traces");
        return new MongoTraceStore(_database.Database, TimeProvider.System, NullLogger<MongoTraceStore>.Instance);
    }

    public ValueTask DisposeAsync() => _database?.DisposeAsync() ?? ValueTask.CompletedTask;
}
