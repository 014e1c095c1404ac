using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using XRay.Grains.Options;
using XRay.Grains.Storage;
using XRay.Grains.Storage.Mongo;

namespace XRay.Grains.Hosting;

/// <summary>Registers the MongoDB document store.</summary>
public static class XRayMongoStoreServiceCollectionExtensions
{
    /// <summary>
    /// Adds the MongoDB store as <see cref="IAccountStore"/> and <see cref="ITraceStore"/>, bound to the
    /// <c>Storage:Mongo</c> configuration section (<c>Storage:Mongo:ConnectionString</c> ...). Calling it twice is
    /// harmless, and a store registered before (e.g. SQLite) is kept: the host chooses one store per process.
    /// </summary>
    public static IServiceCollection AddXRayMongoStore(this IServiceCollection services, string configSectionPath = "Storage:Mongo")
    {
        services.AddOptions<MongoStoreOptions>().BindConfiguration(configSectionPath).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MongoStoreOptions>, MongoStoreOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<MongoStoreDatabase>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMongoSchema, MongoAccountSchema>());
        services.TryAddSingleton<IAccountStore, MongoAccountStore>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMongoSchema, MongoTraceSchema>());
        services.TryAddSingleton<ITraceStore, MongoTraceStore>();
        return services;
    }
}
