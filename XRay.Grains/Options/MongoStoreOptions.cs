using MongoDB.Driver;

namespace XRay.Grains.Options;

/// <summary>Options of the MongoDB document store (the seed's production database).</summary>
public sealed class MongoStoreOptions
{
    /// <summary>MongoDB connection string, e.g. <c>mongodb://mongo:27017</c>. Required.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Database holding the collections.</summary>
    public string Database { get; set; } = "xray";

    /// <summary>
    /// Creates the client from the settings parsed out of <see cref="ConnectionString"/>; tests hand in their own.
    /// <c>null</c> creates a <see cref="MongoClient"/>, owned and disposed by the store.
    /// </summary>
    public Func<MongoClientSettings, IMongoClient>? ClientFactory { get; set; }
}
