using System.Net;
using System.Text.Json;
using XRay.Testing;

namespace XRay.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class ServiceEndpointsTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Health_endpoint_answers()
    {
        using var response = await fixture.Client.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Metrics_are_served_for_Prometheus_at_the_default_path()
    {
        using var response = await fixture.Client.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var metrics = new PrometheusText(await response.Content.ReadAsStringAsync());
        Assert.True(metrics.Has("xray_ingest_consumer_lag")); // an observable gauge: there before anything was ingested
    }

    [Theory]
    [InlineData("healthz")]
    [InlineData("api/v1/projects")] // 401 problem: errors are timed too
    public async Task Every_response_says_how_long_the_server_spent_on_it(string path)
    {
        using var response = await fixture.Client.GetAsync(path);
        var timing = Assert.Single(response.Headers.GetValues("Server-Timing"));
        Assert.Matches(@"^app;dur=\d+(\.\d{1,3})?$", timing);
    }

    [Fact]
    public async Task Sign_in_answers_do_not_say_how_long_they_took()
    {
        using var response = await fixture.Client.PostAsync("api/v1/auth/login", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        Assert.False(response.Headers.Contains("Server-Timing"));
    }

    [Theory]
    [InlineData("/api/v1/auth/register", "post")]
    [InlineData("/api/v1/auth/login", "post")]
    [InlineData("/api/v1/auth/key", "get")]
    [InlineData("/api/v1/projects", "get")]
    [InlineData("/api/v1/projects", "post")]
    [InlineData("/api/v1/projects/{projectId}/keys", "post")]
    [InlineData("/api/v1/projects/{projectId}/keys", "get")]
    [InlineData("/api/v1/projects/{projectId}/keys/{keyId}", "delete")]
    [InlineData("/api/v1/projects/{projectId}/members", "post")]
    [InlineData("/api/v1/projects/{projectId}/members", "get")]
    [InlineData("/api/v1/projects/{projectId}/stats", "get")]
    [InlineData("/api/v1/ingest", "post")]
    [InlineData("/api/v1/projects/{projectId}/traces", "get")]
    [InlineData("/api/v1/traces/{traceId}", "get")]
    [InlineData("/api/v1/presign", "post")]
    [InlineData("/api/v1/traces/{traceId}/data/{dataId}", "get")]
    public async Task OpenApi_document_describes_every_endpoint(string path, string method)
    {
        using var response = await fixture.Client.GetAsync("openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(document.GetProperty("paths").TryGetProperty(path, out var item), $"{path} is missing");
        Assert.True(item.TryGetProperty(method, out var operation), $"{method} {path} is missing");
        Assert.True(operation.TryGetProperty("operationId", out _));
    }
}
