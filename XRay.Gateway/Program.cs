using XRay.Gateway.Apis;
using XRay.Gateway.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddXRayGateway();

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseRateLimiter(); // after authentication (limits by key id), before authorization (bad keys are limited too)
app.UseAuthorization();

app.MapOpenApi();
app.MapHealthChecks("/healthz");
app.MapAuthApi();
app.MapProjectsApi();
app.MapIngestApi();
app.MapTracesApi();
app.MapQueryApi();
app.MapBlobsApi();

app.Run();

/// <summary>Entry point, visible to tests.</summary>
public partial class Program;
