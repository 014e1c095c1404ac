using System.Net;
using System.Security.Cryptography;
using XRay.Testing;

namespace XRay.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class TokenValidationTests(GatewayFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task A_token_minted_with_the_server_key_is_accepted()
    {
        // Proves the forged-token cases below fail for their flaw, not because minting is wrong.
        var user = await _client.RegisterAndLoginAsync();
        var token = Tokens.Sign(new { alg = "HS256", typ = "JWT" }, Tokens.Claims(user.UserId, DateTimeOffset.UtcNow.AddHours(1)), Tokens.GatewayKey);
        Assert.Equal(HttpStatusCode.OK, await ListProjectsStatusAsync(token));
    }

    [Fact]
    public async Task Expired_token_is_refused()
    {
        var user = await _client.RegisterAndLoginAsync();
        var token = Tokens.Sign(new { alg = "HS256", typ = "JWT" }, Tokens.Claims(user.UserId, DateTimeOffset.UtcNow.AddMinutes(-5)), Tokens.GatewayKey);
        using var response = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, "api/v1/projects", token));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("expired", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Tampered_token_is_refused()
    {
        var victim = await _client.RegisterAndLoginAsync();
        var attacker = await _client.RegisterAndLoginAsync();
        var parts = attacker.Token.Split('.');
        var forgedPayload = Tokens.Encode(Tokens.Claims(victim.UserId, DateTimeOffset.UtcNow.AddHours(1)));
        Assert.Equal(HttpStatusCode.Unauthorized, await ListProjectsStatusAsync($"{parts[0]}.{forgedPayload}.{parts[2]}"));
    }

    [Fact]
    public async Task Unsigned_alg_none_token_is_refused()
    {
        var user = await _client.RegisterAndLoginAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, await ListProjectsStatusAsync(Tokens.Unsigned(Tokens.Claims(user.UserId, DateTimeOffset.UtcNow.AddHours(1)))));
    }

    [Fact]
    public async Task Token_signed_with_another_key_is_refused()
    {
        var user = await _client.RegisterAndLoginAsync();
        var token = Tokens.Sign(new { alg = "HS256", typ = "JWT" }, Tokens.Claims(user.UserId, DateTimeOffset.UtcNow.AddHours(1)), RandomNumberGenerator.GetBytes(64));
        Assert.Equal(HttpStatusCode.Unauthorized, await ListProjectsStatusAsync(token));
    }

    [Theory]
    [InlineData("someone-else", "xray-api")]
    [InlineData("xray", "another-api")]
    public async Task Token_for_another_issuer_or_audience_is_refused(string issuer, string audience)
    {
        var user = await _client.RegisterAndLoginAsync();
        var token = Tokens.Sign(new { alg = "HS256", typ = "JWT" }, Tokens.Claims(user.UserId, DateTimeOffset.UtcNow.AddHours(1), issuer, audience), Tokens.GatewayKey);
        Assert.Equal(HttpStatusCode.Unauthorized, await ListProjectsStatusAsync(token));
    }

    [Fact]
    public async Task Token_with_a_different_hmac_algorithm_is_refused()
    {
        var user = await _client.RegisterAndLoginAsync();
        var header = Tokens.Encode(new { alg = "HS512", typ = "JWT" });
        var payload = Tokens.Encode(Tokens.Claims(user.UserId, DateTimeOffset.UtcNow.AddHours(1)));
        var signature = Tokens.Base64Url(HMACSHA512.HashData(Tokens.GatewayKey, System.Text.Encoding.ASCII.GetBytes($"{header}.{payload}")));
        Assert.Equal(HttpStatusCode.Unauthorized, await ListProjectsStatusAsync($"{header}.{payload}.{signature}"));
    }

    private async Task<HttpStatusCode> ListProjectsStatusAsync(string token)
    {
        using var response = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, "api/v1/projects", token));
        return response.StatusCode;
    }
}
