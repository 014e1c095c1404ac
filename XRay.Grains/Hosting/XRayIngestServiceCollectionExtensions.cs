using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using XRay.Grains.Ingest;
using XRay.Grains.Options;

namespace XRay.Grains.Hosting;

/// <summary>Registers the silo side of ingest: the consumer loop and the group-committing store writer.</summary>
public static class XRayIngestServiceCollectionExtensions
{
    /// <summary>Adds the ingest consumer, bound to <c>Ingest:Consumer</c>. Needs an <see cref="IIngestLog"/> and an <c>ITraceStore</c>.</summary>
    public static IServiceCollection AddXRayIngestConsumer(this IServiceCollection services)
    {
        services.AddOptions<IngestConsumerOptions>().BindConfiguration("Ingest:Consumer").ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IngestConsumerOptions>, IngestConsumerOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IngestProgress>();
        services.TryAddSingleton<IngestRecordCodec>();
        services.TryAddSingleton<BackgroundWork>();
        services.AddMetrics();
        services.TryAddSingleton<ConsumerMetrics>();
        services.TryAddSingleton<TraceStoreWriter>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, TraceStoreWriter>(sp => sp.GetRequiredService<TraceStoreWriter>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, IngestConsumer>());
        return services;
    }
}
