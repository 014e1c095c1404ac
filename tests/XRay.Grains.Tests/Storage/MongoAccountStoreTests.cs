using XRay.Grains.Storage;
using XRay.Grains.Storage.Mongo;

namespace XRay.Grains.Tests.Storage;

/// <summary>The account contract on MongoDB; skipped unless <c>XRAY_TEST_MONGO</c> names a server.</summary>
public sealed class MongoAccountStoreTests : AccountStoreContractTests, IAsyncDisposable
{
    private MongoTestDatabase? _database;

    protected override IAccountStore CreateStore()
    {
        _database ??= MongoTestDatabase.OpenOrSkip("accounts");
        return new MongoAccountStore(_database.Database);
    }

    public ValueTask DisposeAsync() => _database?.DisposeAsync() ?? ValueTask.CompletedTask;
}
