using XRay.Grains.Storage;
using XRay.Grains.Storage.Sqlite;

namespace XRay.Grains.Tests.Storage;

/// <summary>The trace contract on the embedded SQLite store.</summary>
public sealed class SqliteTraceStoreTests : TraceStoreContractTests, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override ITraceStore CreateStore() => new SqliteTraceStore(_database.Database);

    public void Dispose() => _database.Dispose();
}
