using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MongoDB.Driver;
using XRay.Grains.Options;

namespace XRay.Grains.Storage.Mongo;

/// <summary>
/// The store's MongoDB database: creates the client through <see cref="MongoStoreOptions.ClientFactory"/> and the
/// collections' indexes on first use. Index pieces register as <see cref="IMongoSchema"/> so each store owns its collections.
/// </summary>
public sealed partial class MongoStoreDatabase : IDisposable
{
    private readonly IMongoClient _client;
    private readonly bool _ownsClient;
    private readonly IMongoDatabase _database;
    private readonly IEnumerable<IMongoSchema> _schemas;
    private readonly ILogger<MongoStoreDatabase> _logger;
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private volatile bool _initialized;

    public MongoStoreDatabase(IOptions<MongoStoreOptions> options, IEnumerable<IMongoSchema> schemas, ILogger<MongoStoreDatabase> logger)
    {
        var value = options.Value;
        var settings = MongoClientSettings.FromConnectionString(value.ConnectionString);
        // A write is acknowledged only once a majority has it in the journal: the consumer commits log offsets after
        // it, and MongoTraceStore.FlushAsync has nothing left to sync. Not left to the connection string.
        settings.WriteConcern = WriteConcern.WMajority.With(journal: true);
        // Every read from the primary, whatever the connection string prefers: the read fence (a GET waits until the
        // consumer applied what was acknowledged) and a key, user or project read right after it was written both need
        // the writes this process just made, which a secondary may not hold yet; a key read as missing there would be
        // refused from memory for a minute. Secondaries serve as failover.
        settings.ReadPreference = ReadPreference.Primary;
        _ownsClient = value.ClientFactory is null;
        _client = value.ClientFactory?.Invoke(settings) ?? new MongoClient(settings);
        _database = _client.GetDatabase(value.Database);
        _schemas = schemas;
        _logger = logger;
    }

    /// <summary>The database name the collections live in.</summary>
    public string DatabaseName => _database.DatabaseNamespace.DatabaseName;

    public void Dispose()
    {
        _initLock.Dispose();
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }

    /// <summary>A collection of the store's database, its indexes created first (once per process).</summary>
    public async Task<IMongoCollection<MongoDB.Bson.BsonDocument>> CollectionAsync(string name, CancellationToken cancellationToken)
    {
        if (!_initialized)
        {
            await InitializeAsync(cancellationToken).ConfigureAwait(false);
        }

        return _database.GetCollection<MongoDB.Bson.BsonDocument>(name);
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _initLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized)
            {
                return;
            }

            foreach (var schema in _schemas)
            {
                // createIndexes is a no-op for an index that exists with the same keys, options and name.
                await schema.CreateIndexesAsync(_database, cancellationToken).ConfigureAwait(false);
            }

            _initialized = true;
            LogIndexesReady(_logger, DatabaseName);
        }
        finally
        {
            _initLock.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "MongoDB indexes of database {Database} are in place")]
    private static partial void LogIndexesReady(ILogger logger, string database);
}

/// <summary>Idempotent index creation for one store's collections.</summary>
public interface IMongoSchema
{
    Task CreateIndexesAsync(IMongoDatabase database, CancellationToken cancellationToken);
}
