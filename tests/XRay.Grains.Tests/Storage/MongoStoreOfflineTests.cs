using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MongoDB.Bson;
using MongoDB.Driver;
using XRay.Grains.Hosting;
using XRay.Grains.Options;
using XRay.Grains.Storage;
using XRay.Grains.Storage.Mongo;

namespace XRay.Grains.Tests.Storage;

/// <summary>What of the MongoDB store can be checked without a server: options, registration and document shapes.</summary>
public sealed class MongoStoreOfflineTests
{
    [Fact]
    public void The_validator_names_every_bad_option()
    {
        var validator = new MongoStoreOptionsValidator();

        var missing = validator.Validate(null, new MongoStoreOptions { Database = "a.b" });
        var malformed = validator.Validate(null, new MongoStoreOptions { ConnectionString = "http://mongo:27017", Database = new string('x', 64) });

        Assert.Contains(missing.Failures!, f => f.StartsWith("ConnectionString is required", StringComparison.Ordinal));
        Assert.Contains(missing.Failures!, f => f.StartsWith("Database must be a MongoDB database name", StringComparison.Ordinal));
        Assert.Contains(malformed.Failures!, f => f.StartsWith("ConnectionString is not a MongoDB connection string", StringComparison.Ordinal));
        Assert.Contains(malformed.Failures!, f => f.StartsWith("Database", StringComparison.Ordinal));
        Assert.True(validator.Validate(null, new MongoStoreOptions { ConnectionString = "mongodb://localhost:27017" }).Succeeded);
    }

    [Fact]
    public void Registering_twice_adds_each_service_once_and_binds_Storage_Mongo()
    {
        MongoClientSettings? seen = null;
        var services = Services(new() { ["Storage:Mongo:ConnectionString"] = "mongodb://127.0.0.1:1", ["Storage:Mongo:Database"] = "xray_offline" });
        services.AddXRayMongoStore().AddXRayMongoStore();
        services.Configure<MongoStoreOptions>(o => o.ClientFactory = settings => new MongoClient(seen = settings));

        using var provider = services.BuildServiceProvider();
        var accounts = provider.GetRequiredService<IAccountStore>();

        Assert.IsType<MongoAccountStore>(accounts);
        Assert.Same(accounts, provider.GetRequiredService<IAccountStore>());
        Assert.IsType<MongoTraceStore>(provider.GetRequiredService<ITraceStore>());
        Assert.Equal("xray_offline", provider.GetRequiredService<MongoStoreDatabase>().DatabaseName);
        Assert.Equal(new MongoServerAddress("127.0.0.1", 1), seen!.Server);
        foreach (var type in new[] { typeof(IAccountStore), typeof(ITraceStore), typeof(MongoStoreDatabase), typeof(IValidateOptions<MongoStoreOptions>) })
        {
            Assert.Single(services, d => d.ServiceType == type);
        }

        Assert.Equal(2, services.Count(d => d.ServiceType == typeof(IMongoSchema)));
    }

    [Fact]
    public void Writes_wait_for_a_majority_and_reads_go_to_the_primary_whatever_the_connection_string_says()
    {
        MongoClientSettings? seen = null;
        using var database = new MongoStoreDatabase(
            Microsoft.Extensions.Options.Options.Create(new MongoStoreOptions
            {
                ConnectionString = "mongodb://127.0.0.1:1/?readPreference=secondaryPreferred&w=1",
                ClientFactory = settings => new MongoClient(seen = settings),
            }),
            [],
            Microsoft.Extensions.Logging.Abstractions.NullLogger<MongoStoreDatabase>.Instance);

        Assert.Equal(ReadPreference.Primary, seen!.ReadPreference);
        Assert.Equal(WriteConcern.WMajority.With(journal: true), seen.WriteConcern);
    }

    [Fact]
    public void A_missing_connection_string_fails_when_the_options_are_read()
    {
        using var provider = Services([]).AddXRayMongoStore().BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<MongoStoreOptions>>().Value);

        Assert.Contains("ConnectionString is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_trace_merge_treats_every_new_value_as_a_literal()
    {
        var stage = MongoTraceDocuments.MergeStage(new TraceUpsert("t", "p", "$where", "success", 10, null, null, null, null, null), 99)["$set"].AsBsonDocument;

        Assert.Equal(BsonDocument.Parse("{ $literal: '$where' }"), stage["name"]["$cond"][1]);
        Assert.Equal(BsonDocument.Parse("{ $literal: 'success' }"), stage["status"]["$cond"][1]);
        Assert.Equal(BsonDocument.Parse("{ $min: ['$startedAt', NumberLong(10)] }"), stage["startedAt"]);
        Assert.Equal(BsonDocument.Parse("{ $literal: null }"), stage["endedAt"]["$cond"][1]);
        Assert.Equal(BsonDocument.Parse("{ $gt: [{ $literal: '$where' }, '$name'] }"), stage["name"]["$cond"][0]["$or"][1]["$or"][1]["$and"][1]);

        var running = MongoTraceDocuments.MergeStage(new TraceUpsert("t", "p", null, "running", 10, null, null, null, null, null), 99)["$set"].AsBsonDocument;
        Assert.Equal(BsonDocument.Parse("{ $ifNull: ['$status', 'running'] }"), running["status"]);
        Assert.Equal(BsonDocument.Parse("{ $ifNull: ['$name', null] }"), running["name"]);
        Assert.Equal(BsonDocument.Parse("{ $ifNull: ['$namedAt', null] }"), running["namedAt"]);

        // The end's key: time (no time is the least Int64), then failure before success, then output and error.
        var ends = stage["status"]["$cond"][0]["$or"][1]["$or"].AsBsonArray;
        Assert.Equal(BsonDocument.Parse("{ $gt: [NumberLong('-9223372036854775808'), { $ifNull: ['$endedAt', NumberLong('-9223372036854775808')] }] }"), ends[0]["$and"][0]);
        Assert.Equal(BsonDocument.Parse("{ $gt: [false, { $eq: ['$status', 'failure'] }] }"), ends[1]["$and"][1]);
        Assert.Equal(BsonDocument.Parse("{ $gt: [{ $literal: '' }, { $ifNull: ['$error', ''] }] }"), ends[3]["$and"][3]);
    }

    [Fact]
    public void Records_survive_the_trip_through_their_documents()
    {
        var step = new StepRecord("s", "0123456789abcdef01234567-u", 3, "n", null, "success", 5, null, StepRecords.Json("{\"$k\":1,\"é\":\"🚀\"}"));
        var data = new DataRecord("d", step.TraceId, "0123456789abcdef01234567", "text/plain", 7, null, StoreIds.At(1_700_000_000_123));
        var key = new ApiKeyRecord("k", "p", "ci", "hash", "xr_", StoreIds.At(1), StoreIds.At(2));

        Assert.Equal(step, MongoTraceDocuments.ToStep(MongoTraceDocuments.ToDocument(step)), StepRecords.ByContent);
        Assert.Equal("0123456789abcdef01234567", MongoTraceDocuments.ToDocument(step)["projectId"].AsString);
        Assert.Equal(data, MongoTraceDocuments.ToData(MongoTraceDocuments.ToDocument(data)));
        Assert.Equal(key, MongoAccountDocuments.ToApiKey(MongoAccountDocuments.ToDocument(key)));
        Assert.Equal("ada@example.com", MongoAccountDocuments.ToDocument(new UserRecord("u", "Ada@Example.COM", "h", StoreIds.At(1)))["emailKey"].AsString);
    }

    private static ServiceCollection Services(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()).AddLogging();
        return services;
    }
}
