using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using XRay.Testing;

namespace XRay.Gateway.Tests;

/// <summary>API answers hold tokens, API keys, signed URLs and tenants' traces: no browser or proxy cache may keep them.</summary>
[Collection(GatewayCollection.Name)]
public sealed class PrivateResponseTests(GatewayFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task Answers_with_tokens_keys_or_traces_are_never_stored_by_a_cache()
    {
        var user = await _client.RegisterAndLoginAsync();
        using var login = await _client.PostAsJsonAsync("api/v1/auth/login", new { email = user.Email, password = user.Password });
        var project = await _client.CreateProjectWithKeyAsync(user);
        using var key = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Post, $"api/v1/projects/{project.ProjectId}/keys", user.Token, new { name = "ci" }));
        using var traces = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/projects/{project.ProjectId}/traces", user.Token));
        using var keyCheck = await _client.SendAsync(XRayApi.WithKey(HttpMethod.Get, "api/v1/auth/key", project.ApiKey));
        using var refused = await _client.GetAsync("api/v1/projects");

        foreach (var (response, status) in new[] { (login, HttpStatusCode.OK), (key, HttpStatusCode.Created), (traces, HttpStatusCode.OK), (keyCheck, HttpStatusCode.OK), (refused, HttpStatusCode.Unauthorized) })
        {
            Assert.Equal(status, response.StatusCode);
            Assert.True(response.Headers.CacheControl?.NoStore, $"{response.RequestMessage?.RequestUri} answered Cache-Control: {response.Headers.CacheControl}");
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        }

        Assert.StartsWith("ey", (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString());
    }

    [Fact]
    public async Task The_public_ingest_schema_stays_cacheable()
    {
        using var schema = await _client.GetAsync("api/v1/ingest/schema");
        Assert.Equal(HttpStatusCode.OK, schema.StatusCode);
        Assert.True(schema.Headers.CacheControl?.Public);
        Assert.False(schema.Headers.CacheControl?.NoStore);
    }
}
