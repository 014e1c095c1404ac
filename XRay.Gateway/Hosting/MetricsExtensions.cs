using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using XRay.Gateway.Options;
using XRay.Grains.Hosting;
using XRay.Grains.Ingest;

namespace XRay.Gateway.Hosting;

/// <summary>
/// Metrics export (docs/metrics.md): X-Ray's meters, ASP.NET Core's, Kestrel's, Orleans' and the runtime's, scraped by
/// Prometheus at <see cref="MetricsOptions.Path"/> and pushed over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// The code that records uses only <c>System.Diagnostics.Metrics</c>; OpenTelemetry appears only here.
/// </summary>
public static class MetricsExtensions
{
    /// <summary>Meters of the libraries the gateway runs on that are exported beside X-Ray's own.</summary>
    private static readonly string[] PlatformMeters = ["Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.Orleans"];

    /// <summary>Binds <c>Metrics</c>, registers the instruments, and (when enabled) the meter provider and its exporters.</summary>
    public static WebApplicationBuilder AddXRayMetrics(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<MetricsOptions>().BindConfiguration("Metrics").ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MetricsOptions>, MetricsOptionsValidator>());
        services.AddMetrics();
        services.TryAddSingleton<GatewayMetrics>();

        // Read now: whether a meter provider exists at all is decided before the container is built.
        var options = builder.Configuration.GetSection("Metrics").Get<MetricsOptions>() ?? new MetricsOptions();
        if (!options.Enabled)
        {
            return builder;
        }

        // The standard OTLP variables (read as configuration): without a collector named, no exporter runs.
        var metricsEndpoint = builder.Configuration["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"];
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) || !string.IsNullOrWhiteSpace(metricsEndpoint);
        var serviceNamed = OpenTelemetryEnvironment.NamesService(builder.Configuration);
        services.AddOpenTelemetry().ConfigureResource(resource =>
        {
            if (!serviceNamed)
            {
                resource.AddService("xray-gateway"); // target_info and OTLP name the service; OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES override
            }
        }).WithMetrics(metrics =>
        {
            metrics.AddMeter([GatewayMetrics.MeterName, ConsumerMetrics.MeterName, .. PlatformMeters])
                .AddRuntimeInstrumentation()
                // Uncached: every scrape sees the counters as they are (a scrape every few seconds costs little).
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
            if (otlp)
            {
                // AddOtlpExporter reads OTEL_EXPORTER_OTLP_ENDPOINT but not the per-signal variable: that one is used as
                // given (the specification's rule for signal endpoints), so a collector named only there is reached too.
                metrics.AddOtlpExporter(o =>
                {
                    if (!string.IsNullOrWhiteSpace(metricsEndpoint))
                    {
                        o.Endpoint = new Uri(metricsEndpoint);
                    }
                });
            }
        });
        return builder;
    }

    /// <summary>Maps the Prometheus scrape at <see cref="MetricsOptions.Path"/> when metrics are enabled (otherwise the path is a 404).</summary>
    public static IEndpointRouteBuilder MapMetricsEndpoint(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IOptions<MetricsOptions>>().Value;
        if (options.Enabled)
        {
            // No tenant data in it (no project, key or trace ids), hence anonymous; the scrape itself is left out of the HTTP metrics.
            app.MapPrometheusScrapingEndpoint(options.Path).DisableHttpMetrics().WithName("Metrics").ExcludeFromDescription();

            // The instruments are created once the meter provider listens, so their series start at 0 on the first
            // scrape instead of appearing with the first request (GatewayMetrics).
            var services = app.ServiceProvider;
            services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.Register(() => services.GetRequiredService<GatewayMetrics>());
        }

        return app;
    }
}
