using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using XRay.Testing;

namespace XRay.Gateway.Tests;

public sealed class RestartTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Users_projects_members_and_keys_survive_a_restart(bool kill)
    {
        await using var gateway = new GatewayProcess();
        await gateway.StartAsync();
        TestUser owner, member;
        TestProject project;
        string revokedKey;
        using (var client = gateway.CreateClient())
        {
            owner = await client.RegisterAndLoginAsync();
            member = await client.RegisterAndLoginAsync();
            project = await client.CreateProjectWithKeyAsync(owner);
            using var add = await client.SendAsync(XRayApi.Authorized(HttpMethod.Post, $"api/v1/projects/{project.ProjectId}/members", owner.Token, new { email = member.Email, role = "member" }));
            await XRayApi.EnsureAsync(add, HttpStatusCode.Created);
            using var second = await client.SendAsync(XRayApi.Authorized(HttpMethod.Post, $"api/v1/projects/{project.ProjectId}/keys", owner.Token, new { name = "old" }));
            var secondKey = await second.Content.ReadFromJsonAsync<JsonElement>();
            revokedKey = secondKey.GetProperty("key").GetString()!;
            using var revoke = await client.SendAsync(XRayApi.Authorized(HttpMethod.Delete, $"api/v1/projects/{project.ProjectId}/keys/{secondKey.GetProperty("keyId").GetString()}", owner.Token));
            await XRayApi.EnsureAsync(revoke, HttpStatusCode.NoContent);
        }

        if (kill)
        {
            await gateway.KillAsync();
        }
        else
        {
            await gateway.StopAsync();
        }

        await gateway.StartAsync();
        using var after = gateway.CreateClient();

        // The token issued before the restart is still valid: the signing key was kept in the data directory or configuration.
        using var projects = await after.SendAsync(XRayApi.Authorized(HttpMethod.Get, "api/v1/projects", member.Token));
        await XRayApi.EnsureAsync(projects, HttpStatusCode.OK);
        var listed = Assert.Single((await projects.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray());
        Assert.Equal(project.ProjectId, listed.GetProperty("projectId").GetString());
        Assert.Equal("member", listed.GetProperty("role").GetString());

        using var login = await after.PostAsJsonAsync("api/v1/auth/login", new { email = owner.Email, password = owner.Password });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);

        using var good = await after.SendAsync(XRayApi.WithKey(HttpMethod.Get, "api/v1/auth/key", project.ApiKey));
        using var revoked = await after.SendAsync(XRayApi.WithKey(HttpMethod.Get, "api/v1/auth/key", revokedKey));
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);

        using var duplicate = await after.PostAsJsonAsync("api/v1/auth/register", new { email = owner.Email, password = "plenty-long passphrase 42" });
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
    }

    [Fact]
    public async Task Without_a_configured_key_the_generated_signing_key_is_kept_across_restarts()
    {
        await using var gateway = new GatewayProcess(settings: new Dictionary<string, string> { ["Auth:SigningKey"] = string.Empty });
        await gateway.StartAsync();
        TestUser user;
        using (var client = gateway.CreateClient())
        {
            user = await client.RegisterAndLoginAsync();
        }

        Assert.True(File.Exists(Path.Combine(gateway.DataDirectory, "jwt-signing.key")));
        await gateway.KillAsync();
        await gateway.StartAsync();
        using var after = gateway.CreateClient();
        using var response = await after.SendAsync(XRayApi.Authorized(HttpMethod.Get, "api/v1/projects", user.Token));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(30)] // not base64 at all
    [InlineData(40)] // base64, but of 30 bytes: too short to be a key
    public async Task A_truncated_signing_key_file_stops_the_start_naming_the_file_and_is_kept(int length)
    {
        var directory = Directory.CreateTempSubdirectory("xray-test-").FullName;
        try
        {
            var path = Path.Combine(directory, "jwt-signing.key");
            var torn = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(64))[..length];
            await File.WriteAllTextAsync(path, torn);
            await using var gateway = new GatewayProcess(directory, new Dictionary<string, string> { ["Auth:SigningKey"] = string.Empty });

            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => gateway.StartAsync());
            Assert.Contains($"The token signing key file '{path}'", failure.Message, StringComparison.Ordinal);
            Assert.Equal(torn, await File.ReadAllTextAsync(path)); // left for the operator to restore, not replaced
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task An_empty_signing_key_file_is_replaced_by_a_new_key()
    {
        var directory = Directory.CreateTempSubdirectory("xray-test-").FullName;
        try
        {
            var path = Path.Combine(directory, "jwt-signing.key");
            await File.WriteAllTextAsync(path, string.Empty); // what a power loss could leave of a key written before keys were synced
            await using var gateway = new GatewayProcess(directory, new Dictionary<string, string> { ["Auth:SigningKey"] = string.Empty });
            await gateway.StartAsync();

            Assert.Equal(64, Convert.FromBase64String(await File.ReadAllTextAsync(path)).Length);
            using var client = gateway.CreateClient();
            var user = await client.RegisterAndLoginAsync();
            using var response = await client.SendAsync(XRayApi.Authorized(HttpMethod.Get, "api/v1/projects", user.Token));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
