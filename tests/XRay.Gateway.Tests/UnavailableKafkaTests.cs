using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using XRay.Gateway.Options;
using XRay.Gateway.Problems;
using XRay.Gateway.Traces;
using XRay.Grains.Ingest;
using XRay.Grains.Ingest.Kafka;
using XRay.Grains.Options;
using XRay.Testing;

namespace XRay.Gateway.Tests;

/// <summary>
/// The Kafka ingest log's client failing (no broker answers) is a dependency unavailable for now, as a locked store is
/// (<see cref="UnavailableStoreTests"/>): <c>503</c> with <c>Retry-After</c>, which the SDK retries, not a <c>500</c>,
/// which it gives up after a few. No host wires Kafka yet, so the gateway's problem handling runs in-process around a
/// route doing what the ingest endpoint does first, admission control (<see cref="IngestBackpressure"/>), on a real
/// <see cref="KafkaIngestLog"/> whose broker is not there: its end-offset query fails, and nothing catches that (a
/// failed append is answered by the endpoint itself).
/// </summary>
public sealed class UnavailableKafkaTests
{
    [Fact]
    public async Task A_Kafka_failure_escaping_an_endpoint_answers_503_with_Retry_After()
    {
        var ct = TestContext.Current.CancellationToken;
        var options = new KafkaIngestLogOptions { BootstrapServers = $"127.0.0.1:{FreePorts.Next()}", OperationTimeout = TimeSpan.FromSeconds(2) };
        await using var kafka = new KafkaIngestLog(Microsoft.Extensions.Options.Options.Create(options), NullLogger<KafkaIngestLog>.Instance);
        var backpressure = new IngestBackpressure(kafka, new IngestProgress(), Microsoft.Extensions.Options.Options.Create(new IngestOptions()), TimeProvider.System);

        var port = FreePorts.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ProblemDefaults.Customize); // as AddXRayGateway
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        await using var app = builder.Build();
        app.UseExceptionHandler();
        app.MapPost("/ingest", async (CancellationToken cancellationToken) =>
        {
            await backpressure.AdmitAsync(cancellationToken); // the topic's end offsets: no broker answers
            return Results.Accepted();
        });
        await app.StartAsync(ct);

        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
        using var response = await client.PostAsync("ingest", null, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        Assert.Contains("unavailable", JsonSerializer.Deserialize<JsonElement>(text).GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
    }
}
