using XRay.Grains.Hosting;

// The cluster-mode silo host. Redis clustering, Kafka consumers and MongoDB arrive with the cluster mode;
// until then it runs one localhost silo over the embedded store, which is what the gateway hosts in-process.
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddXRaySqliteStore();
builder.UseOrleans(silo => silo.UseLocalhostClustering());
builder.Build().Run();
