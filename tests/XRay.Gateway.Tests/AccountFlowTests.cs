using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using XRay.Testing;

namespace XRay.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class AccountFlowTests(GatewayFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task Register_then_login_issues_a_token_for_the_user()
    {
        var email = $"ada-{Guid.NewGuid():N}@example.test";
        using var register = await _client.PostAsJsonAsync("api/v1/auth/register", new { email, password = "analytical engine 1843" });
        Assert.Equal(HttpStatusCode.Created, register.StatusCode);
        var userId = (await register.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("userId").GetString();
        Assert.Matches("^[0-9a-f]{24}$", userId);

        using var login = await _client.PostAsJsonAsync("api/v1/auth/login", new { email, password = "analytical engine 1843" });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var body = await login.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains($"\"sub\":\"{userId}\"", Tokens.Payload(body.GetProperty("token").GetString()!));
        Assert.True(body.GetProperty("expiresAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddHours(1));
    }

    [Fact]
    public async Task Duplicate_email_is_a_conflict_whatever_its_case()
    {
        var user = await _client.RegisterAndLoginAsync();
        using var again = await _client.PostAsJsonAsync("api/v1/auth/register", new { email = user.Email.ToUpperInvariant(), password = "another long passphrase" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Wrong_password_and_unknown_email_get_the_same_answer()
    {
        var user = await _client.RegisterAndLoginAsync();
        using var wrongPassword = await _client.PostAsJsonAsync("api/v1/auth/login", new { email = user.Email, password = "not the password at all" });
        using var unknownEmail = await _client.PostAsJsonAsync("api/v1/auth/login", new { email = "nobody-" + user.Email, password = user.Password });
        Assert.Equal(HttpStatusCode.Unauthorized, wrongPassword.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknownEmail.StatusCode);
        var first = await wrongPassword.Content.ReadFromJsonAsync<JsonElement>();
        var second = await unknownEmail.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(first.GetProperty("title").GetString(), second.GetProperty("title").GetString());
        Assert.Equal(first.GetProperty("detail").GetString(), second.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_user_lists_only_their_own_projects_with_their_role()
    {
        var alice = await _client.RegisterAndLoginAsync();
        var bob = await _client.RegisterAndLoginAsync();
        var project = await _client.CreateProjectWithKeyAsync(alice, "alice's pipeline");

        var aliceProjects = await ListProjectsAsync(alice);
        var only = Assert.Single(aliceProjects.EnumerateArray());
        Assert.Equal(project.ProjectId, only.GetProperty("projectId").GetString());
        Assert.Equal("alice's pipeline", only.GetProperty("name").GetString());
        Assert.Equal("owner", only.GetProperty("role").GetString());
        Assert.Empty((await ListProjectsAsync(bob)).EnumerateArray());
    }

    [Fact]
    public async Task A_key_is_shown_once_listed_without_secret_and_resolves_to_its_project()
    {
        var owner = await _client.RegisterAndLoginAsync();
        var project = await _client.CreateProjectWithKeyAsync(owner);
        Assert.StartsWith("xray_", project.ApiKey);

        using var list = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/projects/{project.ProjectId}/keys", owner.Token));
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var text = await list.Content.ReadAsStringAsync();
        Assert.DoesNotContain(project.ApiKey, text);
        var key = Assert.Single(JsonDocument.Parse(text).RootElement.EnumerateArray());
        Assert.Equal(project.KeyId, key.GetProperty("keyId").GetString());
        Assert.StartsWith(key.GetProperty("prefix").GetString()!, project.ApiKey, StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, key.GetProperty("revokedAt").ValueKind);
        Assert.False(key.TryGetProperty("key", out _));

        using var check = await _client.SendAsync(XRayApi.WithKey(HttpMethod.Get, "api/v1/auth/key", project.ApiKey));
        Assert.Equal(HttpStatusCode.OK, check.StatusCode);
        var resolved = await check.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(project.ProjectId, resolved.GetProperty("projectId").GetString());
        Assert.Equal(project.KeyId, resolved.GetProperty("keyId").GetString());
    }

    [Fact]
    public async Task A_revoked_key_stops_working_at_once()
    {
        var owner = await _client.RegisterAndLoginAsync();
        var project = await _client.CreateProjectWithKeyAsync(owner);
        using (var warm = await _client.SendAsync(XRayApi.WithKey(HttpMethod.Get, "api/v1/auth/key", project.ApiKey)))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode); // the grain now caches the key
        }

        using var revoke = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Delete, $"api/v1/projects/{project.ProjectId}/keys/{project.KeyId}", owner.Token));
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);

        using var after = await _client.SendAsync(XRayApi.WithKey(HttpMethod.Get, "api/v1/auth/key", project.ApiKey));
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Contains("revoked", await after.Content.ReadAsStringAsync());

        using var list = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/projects/{project.ProjectId}/keys", owner.Token));
        var key = Assert.Single((await list.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray());
        Assert.NotEqual(JsonValueKind.Null, key.GetProperty("revokedAt").ValueKind);
    }

    [Fact]
    public async Task Unknown_or_malformed_keys_are_refused()
    {
        using var unknown = await _client.SendAsync(XRayApi.WithKey(HttpMethod.Get, "api/v1/auth/key", "xray_" + new string('A', 43)));
        using var garbage = await _client.SendAsync(XRayApi.WithKey(HttpMethod.Get, "api/v1/auth/key", "hello"));
        using var missing = await _client.GetAsync("api/v1/auth/key");
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, garbage.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
    }

    [Fact]
    public async Task Owners_manage_members_and_members_only_read()
    {
        var owner = await _client.RegisterAndLoginAsync();
        var member = await _client.RegisterAndLoginAsync();
        var project = await _client.CreateProjectWithKeyAsync(owner);
        var keys = $"api/v1/projects/{project.ProjectId}/keys";
        var members = $"api/v1/projects/{project.ProjectId}/members";

        using (var add = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Post, members, owner.Token, new { email = member.Email, role = "member" })))
        {
            Assert.Equal(HttpStatusCode.Created, add.StatusCode);
        }

        using (var again = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Post, members, owner.Token, new { email = member.Email, role = "member" })))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        }

        var listed = Assert.Single((await ListProjectsAsync(member)).EnumerateArray());
        Assert.Equal("member", listed.GetProperty("role").GetString());

        using var read = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, keys, member.Token));
        using var createKey = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Post, keys, member.Token, new { name = "mine" }));
        using var revokeKey = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Delete, $"{keys}/{project.KeyId}", member.Token));
        using var addMember = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Post, members, member.Token, new { email = owner.Email, role = "member" }));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, createKey.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, revokeKey.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, addMember.StatusCode);
    }

    [Fact]
    public async Task A_non_member_sees_the_project_as_missing()
    {
        var owner = await _client.RegisterAndLoginAsync();
        var stranger = await _client.RegisterAndLoginAsync();
        var project = await _client.CreateProjectWithKeyAsync(owner);
        var keys = $"api/v1/projects/{project.ProjectId}/keys";

        using var read = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, keys, stranger.Token));
        using var create = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Post, keys, stranger.Token, new { name = "x" }));
        using var revoke = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Delete, $"{keys}/{project.KeyId}", stranger.Token));
        using var members = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Post, $"api/v1/projects/{project.ProjectId}/members", stranger.Token, new { email = stranger.Email, role = "owner" }));
        using var nonexistent = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, "api/v1/projects/0123456789abcdef01234567/keys", stranger.Token));
        foreach (var response in new[] { read, create, revoke, members, nonexistent })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        var missingTitle = (await nonexistent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString();
        var hiddenTitle = (await read.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString();
        Assert.Equal(missingTitle, hiddenTitle);
    }

    [Fact]
    public async Task Probing_a_project_id_before_it_exists_does_not_lock_its_owner_out()
    {
        var prober = await _client.RegisterAndLoginAsync();
        var owner = await _client.RegisterAndLoginAsync();
        var first = await _client.CreateProjectWithKeyAsync(owner);
        // Ids are ObjectIds: the next one is predictable. Probe a few likely ones, then create the project.
        var counter = Convert.ToInt64(first.ProjectId[18..], 16);
        foreach (var next in Enumerable.Range(1, 5))
        {
            var guess = first.ProjectId[..18] + (counter + next).ToString("x6");
            using var probe = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/projects/{guess}/keys", prober.Token));
            Assert.Equal(HttpStatusCode.NotFound, probe.StatusCode);
        }

        var second = await _client.CreateProjectWithKeyAsync(owner);
        using var keys = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/projects/{second.ProjectId}/keys", owner.Token));
        Assert.Equal(HttpStatusCode.OK, keys.StatusCode);
    }

    [Fact]
    public async Task Adding_an_unregistered_email_or_an_unknown_role_is_refused()
    {
        var owner = await _client.RegisterAndLoginAsync();
        var other = await _client.RegisterAndLoginAsync();
        var project = await _client.CreateProjectWithKeyAsync(owner);
        var members = $"api/v1/projects/{project.ProjectId}/members";
        using var unknown = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Post, members, owner.Token, new { email = "ghost-" + owner.Email, role = "member" }));
        using var badRole = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Post, members, owner.Token, new { email = other.Email, role = "admin" }));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badRole.StatusCode);
        Assert.Contains("role", await badRole.Content.ReadAsStringAsync());
    }

    private async Task<JsonElement> ListProjectsAsync(TestUser user)
    {
        using var response = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, "api/v1/projects", user.Token));
        await XRayApi.EnsureAsync(response, HttpStatusCode.OK);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
