using Microsoft.Extensions.Logging;
using XRay.Sample;
using XRay.Sdk;

// Settings come from XRAY_* environment variables: XRAY_API_KEY, XRAY_PROJECT_ID, XRAY_BASE_URL, XRAY_DEBUG...
var options = XRayOptionsReader.FromEnvironment();
if (string.IsNullOrEmpty(options.ApiKey) || string.IsNullOrEmpty(options.ProjectId))
{
    Console.Error.WriteLine("Set XRAY_API_KEY and XRAY_PROJECT_ID (and XRAY_BASE_URL if the gateway is not on http://localhost:3000).");
    return 1;
}

var products = args.Length > 0 ? args : ["adjustable aluminium laptop stand", "wireless ergonomic mouse"];
using var logging = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Debug));

await using (var tracer = new XRayTracer(options, logging))
{
    var pipeline = new CompetitorPipeline(Catalog.Products);
    foreach (var product in products)
    {
        var trace = tracer.CreateTrace("competitor-search", new { product, catalog = "demo" });
        try
        {
            var winner = await pipeline.FindCompetitorAsync(trace, product);
            trace.Success(new { product, competitor = winner?.Title });
            Console.WriteLine($"{product} -> {winner?.Title ?? "(none)"}   trace {trace.TraceId}");
        }
        catch (Exception e)
        {
            trace.Failure(e);
            Console.WriteLine($"{product} failed: {e.Message}   trace {trace.TraceId}");
        }
    }

    // disposing flushes (within XRayOptions.ShutdownTimeout); FlushAsync just lets us report the outcome
    var flushed = await tracer.FlushAsync(); // true once nothing is left to send: delivered, or refused and counted as dropped
    var s = tracer.Stats;
    Console.WriteLine($"flushed: {flushed}; events sent {s.EventsSent}, dropped {s.EventsDropped}, retries {s.Retries}, blobs sent {s.BlobsSent}, spool {(s.SpoolIsDisk ? "disk" : "memory")} {s.SpoolBytes} B");
}

return 0;
