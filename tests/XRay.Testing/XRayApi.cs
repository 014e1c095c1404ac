using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace XRay.Testing;

/// <summary>A user signed in to a test gateway.</summary>
public sealed record TestUser(string UserId, string Email, string Password, string Token);

/// <summary>A project with an SDK key, created through the real API.</summary>
public sealed record TestProject(string ProjectId, string ApiKey, string KeyId, TestUser Owner);

/// <summary>Drives the gateway's account API the way a user would, for test set-up.</summary>
public static class XRayApi
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<TestUser> RegisterAndLoginAsync(this HttpClient client, string? email = null)
    {
        email ??= $"user-{Guid.NewGuid():N}@example.test";
        const string password = "plenty-long passphrase 42";
        using (var register = await client.PostAsJsonAsync("api/v1/auth/register", new { email, password }))
        {
            await EnsureAsync(register, HttpStatusCode.Created);
        }

        using var login = await client.PostAsJsonAsync("api/v1/auth/login", new { email, password });
        await EnsureAsync(login, HttpStatusCode.OK);
        var body = await login.Content.ReadFromJsonAsync<JsonElement>();
        var token = body.GetProperty("token").GetString()!;
        return new TestUser(UserIdOf(token), email, password, token);
    }

    public static async Task<TestProject> CreateProjectWithKeyAsync(this HttpClient client, TestUser owner, string name = "test project")
    {
        using var project = await client.SendAsync(Authorized(HttpMethod.Post, "api/v1/projects", owner.Token, new { name }));
        await EnsureAsync(project, HttpStatusCode.Created);
        var projectId = (await project.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("projectId").GetString()!;
        using var key = await client.SendAsync(Authorized(HttpMethod.Post, $"api/v1/projects/{projectId}/keys", owner.Token, new { name = "sdk" }));
        await EnsureAsync(key, HttpStatusCode.Created);
        var keyBody = await key.Content.ReadFromJsonAsync<JsonElement>();
        return new TestProject(projectId, keyBody.GetProperty("key").GetString()!, keyBody.GetProperty("keyId").GetString()!, owner);
    }

    /// <summary>A request with a bearer token and an optional JSON body.</summary>
    public static HttpRequestMessage Authorized(HttpMethod method, string path, string token, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }

        return request;
    }

    /// <summary>A request with an SDK key and an optional JSON body.</summary>
    public static HttpRequestMessage WithKey(HttpMethod method, string path, string apiKey, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("x-api-key", apiKey);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }

        return request;
    }

    public static async Task EnsureAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode != expected)
        {
            var body = await response.Content.ReadAsStringAsync();
            throw new HttpRequestException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}, expected {(int)expected}: {body}");
        }
    }

    /// <summary>
    /// Sends <paramref name="request"/> (a GET, say) and returns the JSON body of a 200, or null for a 404: for waiting until
    /// something arrives (<see cref="Poll"/>). Any other answer throws, as <see cref="EnsureAsync"/> does.
    /// </summary>
    public static async Task<JsonElement?> GetIfFoundAsync(this HttpClient client, HttpRequestMessage request, CancellationToken cancellationToken = default)
    {
        using (request)
        {
            using var response = await client.SendAsync(request, cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            await EnsureAsync(response, HttpStatusCode.OK);
            return await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        }
    }

    private static string UserIdOf(string token)
    {
        var payload = token.Split('.')[1];
        var json = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(payload.Replace('-', '+').Replace('_', '/').PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=')));
        return JsonDocument.Parse(json).RootElement.GetProperty("sub").GetString()!;
    }
}
