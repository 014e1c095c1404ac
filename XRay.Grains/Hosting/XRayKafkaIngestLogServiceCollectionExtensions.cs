using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using XRay.Grains.Ingest;
using XRay.Grains.Ingest.Kafka;
using XRay.Grains.Options;

namespace XRay.Grains.Hosting;

/// <summary>Registers the Kafka ingest log.</summary>
public static class XRayKafkaIngestLogServiceCollectionExtensions
{
    /// <summary>
    /// Adds the Kafka <see cref="IIngestLog"/>, bound to the <c>Ingest:Kafka</c> configuration section
    /// (<c>Ingest:Kafka:BootstrapServers</c> ...); <paramref name="configure"/> runs after binding, so a host or a
    /// test can hand in its own client factories. Calling it twice is harmless; an <see cref="IIngestLog"/>
    /// registered before (the embedded log) wins.
    /// </summary>
    public static IServiceCollection AddXRayKafkaIngestLog(
        this IServiceCollection services,
        Action<KafkaIngestLogOptions>? configure = null,
        string configSectionPath = "Ingest:Kafka")
    {
        var options = services.AddOptions<KafkaIngestLogOptions>().BindConfiguration(configSectionPath).ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KafkaIngestLogOptions>, KafkaIngestLogOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<KafkaIngestLog>();
        services.TryAddSingleton<IIngestLog>(sp => sp.GetRequiredService<KafkaIngestLog>());
        return services;
    }
}
