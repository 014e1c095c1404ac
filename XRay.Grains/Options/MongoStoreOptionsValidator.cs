using System.Buffers;
using Microsoft.Extensions.Options;
using MongoDB.Driver;

namespace XRay.Grains.Options;

/// <summary>Validates <see cref="MongoStoreOptions"/> at start-up.</summary>
public sealed class MongoStoreOptionsValidator : IValidateOptions<MongoStoreOptions>
{
    // MongoDB rejects these characters in database names on every platform (Windows adds a few more).
    private static readonly SearchValues<char> ForbiddenInDatabase = SearchValues.Create("/\\. \"$\0");
    private const int MaxDatabaseNameBytes = 63;

    public ValidateOptionsResult Validate(string? name, MongoStoreOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add($"{nameof(MongoStoreOptions.ConnectionString)} is required (e.g. mongodb://localhost:27017).");
        }
        else if (!IsConnectionString(options.ConnectionString))
        {
            failures.Add($"{nameof(MongoStoreOptions.ConnectionString)} is not a MongoDB connection string (mongodb:// or mongodb+srv://).");
        }

        if (string.IsNullOrWhiteSpace(options.Database)
            || options.Database.AsSpan().IndexOfAny(ForbiddenInDatabase) >= 0
            || System.Text.Encoding.UTF8.GetByteCount(options.Database) > MaxDatabaseNameBytes)
        {
            failures.Add($"{nameof(MongoStoreOptions.Database)} must be a MongoDB database name: 1 to {MaxDatabaseNameBytes} bytes without / \\ . space \" or $.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsConnectionString(string value)
    {
        try
        {
            _ = MongoUrl.Create(value);
            return true;
        }
        catch (MongoConfigurationException)
        {
            return false;
        }
    }
}
