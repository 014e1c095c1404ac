using System.Net;
using System.Text;
using System.Text.Json;
using XRay.Testing;

namespace XRay.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class BadInputTests(GatewayFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    public static TheoryData<string, string, string> RegisterBodies => new()
    {
        { "{}", "email", "missing fields" },
        { "{\"email\":\"a@example.test\"}", "password", "missing password" },
        { "{\"email\":\"not-an-email\",\"password\":\"plenty-long passphrase 42\"}", "email", "invalid email" },
        { "{\"email\":\"Ada <a@example.test>\",\"password\":\"plenty-long passphrase 42\"}", "email", "display name" },
        { "{\"email\":\"weak@example.test\",\"password\":\"short\"}", "password", "too short" },
        { "{\"email\":\"weak@example.test\",\"password\":\"aaaaaaaaaaaaaaa\"}", "password", "one repeated character" },
        { "{\"email\":\"weak@example.test\",\"password\":\"password123\"}", "password", "common password" },
        { "{\"email\":12,\"password\":\"plenty-long passphrase 42\"}", "$.email", "wrong type" },
        { "{\"email\":\"a@example.test\",\"password\":[1,2]}", "$.password", "wrong type" },
        { "{\"email\":", "JSON", "truncated JSON" },
        { "not json at all", "JSON", "not JSON" },
        { "[]", "JSON", "array instead of object" },
        { "", "body", "empty body" },
    };

    [Theory]
    [MemberData(nameof(RegisterBodies))]
    public async Task Bad_registration_bodies_get_a_problem_naming_what_is_wrong(string body, string mentioned, string because)
    {
        using var response = await _client.PostAsync("api/v1/auth/register", new StringContent(body, Encoding.UTF8, "application/json"));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, mentioned, because);
    }

    [Fact]
    public async Task A_ten_megabyte_body_is_refused_before_it_is_read()
    {
        var huge = "{\"email\":\"" + new string('a', 10 * 1024 * 1024) + "@example.test\",\"password\":\"x\"}";
        // As curl does for large bodies: ask first, so the refusal arrives before 10 MB is sent.
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/auth/register") { Content = new StringContent(huge, Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true;
        using var response = await _client.SendAsync(request);
        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "limit", "10 MB body");
    }

    [Fact]
    public async Task Bad_project_and_key_bodies_get_problems()
    {
        var user = await _client.RegisterAndLoginAsync();
        using var noName = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Post, "api/v1/projects", user.Token, new { }));
        await AssertProblemAsync(noName, HttpStatusCode.BadRequest, "name", "project without name");

        using var longName = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Post, "api/v1/projects", user.Token, new { name = new string('n', 101) }));
        await AssertProblemAsync(longName, HttpStatusCode.BadRequest, "name", "project name too long");

        var project = await _client.CreateProjectWithKeyAsync(user);
        using var wrongType = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Post, $"api/v1/projects/{project.ProjectId}/keys", user.Token, new { name = 42 }));
        await AssertProblemAsync(wrongType, HttpStatusCode.BadRequest, "$.name", "key name of the wrong type");

        using var badMember = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Post, $"api/v1/projects/{project.ProjectId}/members", user.Token, new { email = "nope" }));
        await AssertProblemAsync(badMember, HttpStatusCode.BadRequest, "email", "member with invalid email");

        using var unknownKey = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Delete, $"api/v1/projects/{project.ProjectId}/keys/nope", user.Token));
        await AssertProblemAsync(unknownKey, HttpStatusCode.NotFound, "nope", "unknown key id");

        using var malformedProject = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, "api/v1/projects/../../etc/keys", user.Token));
        Assert.InRange((int)malformedProject.StatusCode, 400, 499);
    }

    [Fact]
    public async Task Wrong_content_type_is_a_client_error()
    {
        using var response = await _client.PostAsync("api/v1/auth/login", new StringContent("email=a", Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.InRange((int)response.StatusCode, 400, 499);
    }

    [Theory]
    [InlineData("{\"email\":", "JSON")]
    [InlineData("{\"email\":12}", "$.email")]
    [InlineData("{\"email\":12}", "(line 1, byte 12)")] // counted from 1, as an editor does
    [InlineData("{\n \"email\":12}", "(line 2, ")]
    public async Task Malformed_json_is_a_problem_even_for_a_client_that_accepts_no_json(string body, string mentioned)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/auth/register") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("text/html");
        using var response = await _client.SendAsync(request);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, mentioned, "Accept: text/html");
    }

    [Fact]
    public async Task Every_problem_names_its_request_even_for_a_client_that_accepts_no_json()
    {
        var user = await _client.RegisterAndLoginAsync();
        (HttpRequestMessage Request, HttpStatusCode Status, string Mentioned)[] refusals =
        [
            (XRayApi.Authorized(HttpMethod.Post, "api/v1/projects", user.Token, new { }), HttpStatusCode.BadRequest, "name"),
            (new HttpRequestMessage(HttpMethod.Get, "api/v1/projects"), HttpStatusCode.Unauthorized, "bearer token"),
            (XRayApi.WithKey(HttpMethod.Get, "api/v1/auth/key", "xray_not-a-key", null), HttpStatusCode.Unauthorized, "API key"),
            (new HttpRequestMessage(HttpMethod.Get, "blobs/a/b/c?exp=1&ct=x&sig=y"), HttpStatusCode.Forbidden, "URL"),
            (new HttpRequestMessage(HttpMethod.Post, "api/v1/auth/register") { Content = new StringContent("{}", Encoding.Latin1, "application/json") },
                HttpStatusCode.UnsupportedMediaType, "charset"),
        ];
        foreach (var (request, status, mentioned) in refusals)
        {
            // The framework's problem writer declines such a client; the result then wrote the problem bare, without requestId
            request.Headers.Accept.ParseAdd("text/plain");
            using (request)
            using (var response = await _client.SendAsync(request))
            {
                await AssertProblemAsync(response, status, mentioned, $"{request.Method} {request.RequestUri} with Accept: text/plain");
            }
        }

        // The framework's own answer for a route stays plain text for it, as README says
        using var noRoute = new HttpRequestMessage(HttpMethod.Get, "api/v1/no-such-route");
        noRoute.Headers.Accept.ParseAdd("text/plain");
        using var plain = await _client.SendAsync(noRoute);
        Assert.Equal(HttpStatusCode.NotFound, plain.StatusCode);
        Assert.Equal("text/plain", plain.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("")]
    [InlineData("utf-7")]
    [InlineData("\"latin-9\"")]
    [InlineData("\"iso_8859-1:1987\"")] // known to .NET, and not an HTTP token: it cannot be written back unquoted
    [InlineData("utf-16")]
    public async Task A_json_body_in_an_unknown_charset_is_an_unsupported_media_type(string charset)
    {
        var user = await _client.RegisterAndLoginAsync();
        using var request = XRayApi.Authorized(HttpMethod.Post, "api/v1/projects", user.Token);
        request.Content = new StringContent("{\"name\":\"charset\"}");
        request.Content.Headers.Remove("Content-Type");
        request.Content.Headers.TryAddWithoutValidation("Content-Type", $"application/json; charset={charset}");
        using var response = await _client.SendAsync(request);
        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, $"charset '{charset.Trim('"')}'", $"charset={charset}");
    }

    [Theory]
    [InlineData("\"UTF-8\"")] // RFC 9110 allows a parameter value as a quoted string
    [InlineData("utf8")] // a common spelling .NET does not know by that name
    public async Task Any_spelling_of_UTF8_is_read_as_UTF8(string charset)
    {
        using var content = new StringContent("{\"email\":\"not-an-email\",\"password\":\"plenty-long passphrase 42\"}");
        content.Headers.Remove("Content-Type");
        content.Headers.TryAddWithoutValidation("Content-Type", $"application/json; charset={charset}");
        using var response = await _client.PostAsync("api/v1/auth/register", content);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "'email' is not a valid email address", $"charset={charset}");
    }

    [Fact]
    public async Task A_lone_surrogate_in_a_property_name_of_a_bound_body_is_a_bad_request()
    {
        using var content = new StringContent("{\"\\ud800abcdefghijklmnop\":1,\"email\":\"ada@example.com\",\"password\":\"plenty-long passphrase 42\"}", Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync("api/v1/auth/register", content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string mentioned, string because)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{because}: expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(problem.TryGetProperty("traceId", out _), $"{because}: the request's id is named traceId, an X-Ray run's name: {text}");
        Assert.True(problem.TryGetProperty("requestId", out var requestId) && requestId.ValueKind == JsonValueKind.String, $"{because}: the problem does not name its request: {text}");
        Assert.True(text.Contains(mentioned, StringComparison.OrdinalIgnoreCase), $"{because}: the problem should mention '{mentioned}': {text}");
    }
}
