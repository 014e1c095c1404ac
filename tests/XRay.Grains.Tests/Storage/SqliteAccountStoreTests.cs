using XRay.Grains.Storage;
using XRay.Grains.Storage.Sqlite;

namespace XRay.Grains.Tests.Storage;

/// <summary>The account contract on the embedded SQLite store.</summary>
public sealed class SqliteAccountStoreTests : AccountStoreContractTests, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IAccountStore CreateStore() => new SqliteAccountStore(_database.Database);

    public void Dispose() => _database.Dispose();
}
