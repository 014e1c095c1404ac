using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using XRay.Grains.Hosting;
using XRay.Grains.Ingest;

// The cluster-mode silo host. Redis clustering, Kafka consumers and MongoDB arrive with the cluster mode;
// until then it runs one localhost silo over the embedded store, which is what the gateway hosts in-process.
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddXRaySqliteStore();
builder.UseOrleans(silo => silo.UseLocalhostClustering());

// No HTTP here: metrics leave only over OTLP, and only when a collector is named (docs/metrics.md).
if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
{
    var serviceNamed = OpenTelemetryEnvironment.NamesService(builder.Configuration);
    builder.Services.AddOpenTelemetry().ConfigureResource(resource =>
    {
        if (!serviceNamed)
        {
            resource.AddService("xray-silo");
        }
    }).WithMetrics(metrics => metrics
        .AddMeter(ConsumerMetrics.MeterName, "Microsoft.Orleans").AddRuntimeInstrumentation().AddOtlpExporter());
}

builder.Build().Run();
