using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using XRay.Grains.Options;
using XRay.Grains.Storage;
using XRay.Grains.Storage.Sqlite;

namespace XRay.Grains.Hosting;

/// <summary>Registers the embedded SQLite document store.</summary>
public static class XRayStorageServiceCollectionExtensions
{
    /// <summary>
    /// Adds the SQLite store, bound to the <c>Storage</c> configuration section (<c>Storage:DataDirectory</c> ...).
    /// Calling it twice is harmless.
    /// </summary>
    public static IServiceCollection AddXRaySqliteStore(this IServiceCollection services, string configSectionPath = "Storage")
    {
        services.AddOptions<SqliteStoreOptions>().BindConfiguration(configSectionPath).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteStoreOptions>, SqliteStoreOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SqliteDatabase>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISqliteSchema, SqliteAccountSchema>());
        services.TryAddSingleton<IAccountStore, SqliteAccountStore>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISqliteSchema, SqliteTraceSchema>());
        services.TryAddSingleton<ITraceStore, SqliteTraceStore>();
        return services;
    }
}
