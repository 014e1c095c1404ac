using XRay.Gateway.Apis;
using XRay.Gateway.Auth;
using XRay.Gateway.Hosting;

// appsettings.json is read from next to the binaries, whatever the working directory (unless a content root is
// given), and is not watched: a recursive file watcher on a content root that holds the data directory wakes on
// every log and store write.
var contentRootGiven = args.Any(a => a.StartsWith("--contentRoot", StringComparison.OrdinalIgnoreCase))
    || Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT") is not null
    || Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT") is not null;
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = ["--hostBuilder:reloadConfigOnChange=false", .. args],
    ContentRootPath = contentRootGiven ? null : AppContext.BaseDirectory,
});
builder.AddXRayGateway();

var app = builder.Build();

// Loaded now rather than at the first sign-in: a damaged key file stops the start, naming the file, instead of failing requests.
_ = app.Services.GetRequiredService<JwtSigningKey>();
app.UseTrustedProxies(); // first: everything after it sees the client's address (ForwardedHeaders:KnownProxies, KnownNetworks)
app.UseServerTiming();
app.UsePrivateResponses(); // before the exception handler: problems are answers too
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseRateLimiter(); // after authentication (limits by key id), before authorization (bad keys are limited too)
app.UseAuthorization();
app.UseJsonCharsetCheck(); // after authorization: callers it refuses get 401/403 first

app.MapOpenApi();
app.MapHealthChecks("/healthz");
app.MapMetricsEndpoint(); // Metrics:Path, unless Metrics:Enabled is false
app.MapAuthApi();
app.MapProjectsApi();
app.MapIngestApi();
app.MapTracesApi();
app.MapQueryApi();
app.MapBlobsApi();

app.Run();

/// <summary>Entry point, visible to tests.</summary>
public partial class Program;
