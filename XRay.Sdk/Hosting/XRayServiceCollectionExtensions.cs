using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace XRay.Sdk;

/// <summary>Registers an <see cref="XRayTracer"/> singleton in a service collection.</summary>
public static class XRayServiceCollectionExtensions
{
    /// <summary>
    /// Registers the tracer. Settings are applied in order: <c>XRAY_*</c> environment variables, then
    /// <paramref name="configure"/>. Options are validated when the host starts. Calling it twice is harmless
    /// (later <paramref name="configure"/> calls still apply). The container disposes (and so flushes) the tracer.
    /// </summary>
    public static IServiceCollection AddXRay(this IServiceCollection services, Action<XRayOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<XRayOptions>();
        if (!services.Any(d => d.ServiceType == typeof(XRayTracer)))
        {
            options.Configure(XRayOptionsReader.BindEnvironment);
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<XRayOptions>, XRayOptionsValidator>());
        services.TryAddSingleton(sp => new XRayTracer(
            sp.GetRequiredService<IOptions<XRayOptions>>().Value,
            sp.GetService<ILoggerFactory>()));
        return services;
    }

    /// <summary>
    /// Registers the tracer with settings from the <c>XRay</c> section of <paramref name="configuration"/>
    /// (over <c>XRAY_*</c> environment variables), then <paramref name="configure"/>.
    /// </summary>
    public static IServiceCollection AddXRay(this IServiceCollection services, IConfiguration configuration, Action<XRayOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddXRay(o =>
        {
            XRayOptionsReader.Bind(configuration.GetSection(XRayOptions.SectionName), o);
            configure?.Invoke(o);
        });
    }
}
