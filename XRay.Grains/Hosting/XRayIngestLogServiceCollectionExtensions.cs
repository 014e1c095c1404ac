using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using XRay.Grains.Ingest;
using XRay.Grains.Ingest.Embedded;
using XRay.Grains.Options;

namespace XRay.Grains.Hosting;

/// <summary>Registers the embedded durable ingest log.</summary>
public static class XRayIngestLogServiceCollectionExtensions
{
    /// <summary>
    /// Adds the embedded on-disk <see cref="IIngestLog"/>, bound to the <c>Ingest:Log</c> configuration section
    /// (<c>Ingest:Log:Directory</c> ...); <paramref name="configure"/> runs after binding, so a host can place
    /// the log under its data directory. Calling it twice is harmless.
    /// </summary>
    public static IServiceCollection AddXRayEmbeddedIngestLog(
        this IServiceCollection services,
        Action<EmbeddedIngestLogOptions>? configure = null,
        string configSectionPath = "Ingest:Log")
    {
        var options = services.AddOptions<EmbeddedIngestLogOptions>().BindConfiguration(configSectionPath).ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EmbeddedIngestLogOptions>, EmbeddedIngestLogOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<EmbeddedIngestLog>();
        services.TryAddSingleton<IIngestLog>(sp => sp.GetRequiredService<EmbeddedIngestLog>());
        return services;
    }
}
