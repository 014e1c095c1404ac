using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using XRay.Grains.Ids;
using XRay.Testing;
using static XRay.Blobs.Tests.BlobRequests;

namespace XRay.Blobs.Tests;

/// <summary>
/// The blob endpoints over a real gateway process, once per store. The round trip needs the ingest log
/// and its consumer writing <c>data</c> rows; the refusals need neither.
/// </summary>
public abstract class BlobsApiTests(BlobGatewayFixture fixture)
{
    protected BlobGatewayFixture Fixture => fixture;

    protected HttpClient Client => fixture.Require();

    [Fact]
    public async Task Presign_upload_metadata_download_returns_the_same_bytes()
    {
        var owner = await Client.RegisterAndLoginAsync();
        var member = await Client.RegisterAndLoginAsync();
        var project = await Client.CreateProjectWithKeyAsync(owner);
        using (var add = await Client.SendAsync(XRayApi.Authorized(HttpMethod.Post, $"api/v1/projects/{project.ProjectId}/members", owner.Token, new { email = member.Email, role = "member" })))
        {
            await XRayApi.EnsureAsync(add, HttpStatusCode.Created);
        }

        var traceId = TraceIds.New(project.ProjectId);
        var dataId = Guid.CreateVersion7().ToString();
        var bytes = RandomBytes(300_000);
        var sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        var upload = await PresignAsync(project.ApiKey, new { traceId, dataId, contentType = "application/json", size = bytes.Length, sha256 });
        Assert.Equal("PUT", upload.GetProperty("method").GetString());
        Assert.True(upload.GetProperty("expiresAt").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        var headers = upload.GetProperty("headers").Deserialize<Dictionary<string, string>>()!;
        using (var put = await PutAsync(new Uri(upload.GetProperty("url").GetString()!), headers, new ByteArrayContent(bytes)))
        {
            Assert.True(put.IsSuccessStatusCode, $"PUT answered {put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
        }

        var download = await Client.WaitForDataAsync(member.Token, traceId, dataId);
        Assert.Equal(dataId, download.GetProperty("dataId").GetString());
        Assert.Equal(traceId, download.GetProperty("traceId").GetString());
        Assert.Equal("GET", download.GetProperty("method").GetString());
        Assert.Equal("application/json", download.GetProperty("contentType").GetString());
        Assert.Equal(bytes.Length, download.GetProperty("size").GetInt64());
        Assert.True(download.GetProperty("arrived").GetBoolean());
        using var get = await Http.GetAsync(download.GetProperty("url").GetString());
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(bytes, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task An_empty_blob_goes_up_and_comes_back_empty()
    {
        var project = await fixture.SharedProjectAsync();
        var traceId = TraceIds.New(project.ProjectId);
        var dataId = Guid.CreateVersion7().ToString();
        var upload = await PresignAsync(project.ApiKey, new { traceId, dataId, contentType = "text/plain", size = 0 });
        var headers = upload.GetProperty("headers").Deserialize<Dictionary<string, string>>()!;
        using (var put = await PutAsync(new Uri(upload.GetProperty("url").GetString()!), headers, new ByteArrayContent([])))
        {
            Assert.True(put.IsSuccessStatusCode, $"PUT answered {put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
        }

        var download = await Client.WaitForDataAsync(project.Owner.Token, traceId, dataId);
        Assert.True(download.GetProperty("arrived").GetBoolean());
        Assert.Equal(0, download.GetProperty("size").GetInt64());
        using var get = await Http.GetAsync(download.GetProperty("url").GetString());
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Empty(await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_blob_presigned_but_never_uploaded_has_metadata_but_has_not_arrived()
    {
        var project = await fixture.SharedProjectAsync();
        var traceId = TraceIds.New(project.ProjectId);
        var dataId = Guid.CreateVersion7().ToString().ToUpperInvariant(); // ids are matched whatever their case
        await PresignAsync(project.ApiKey, new { traceId, dataId, contentType = "text/plain", size = 42 });

        var download = await Client.WaitForDataAsync(project.Owner.Token, traceId, dataId);
        Assert.False(download.GetProperty("arrived").GetBoolean());
        Assert.Equal(42, download.GetProperty("size").GetInt64());
        Assert.Equal(dataId.ToLowerInvariant(), download.GetProperty("dataId").GetString());
        using var get = await Http.GetAsync(download.GetProperty("url").GetString());
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task A_key_cannot_presign_for_another_projects_trace()
    {
        var projectA = await fixture.SharedProjectAsync();
        var projectB = await Client.CreateProjectWithKeyAsync(projectA.Owner, "b");
        using var response = await Client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/presign", projectA.ApiKey,
            new { traceId = TraceIds.New(projectB.ProjectId), dataId = Guid.NewGuid(), contentType = "text/plain", size = 10 }));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_revoked_or_missing_key_cannot_presign()
    {
        var owner = await Client.RegisterAndLoginAsync();
        var project = await Client.CreateProjectWithKeyAsync(owner);
        using (var revoke = await Client.SendAsync(XRayApi.Authorized(HttpMethod.Delete, $"api/v1/projects/{project.ProjectId}/keys/{project.KeyId}", owner.Token)))
        {
            await XRayApi.EnsureAsync(revoke, HttpStatusCode.NoContent);
        }

        var body = new { traceId = TraceIds.New(project.ProjectId), dataId = Guid.NewGuid(), contentType = "text/plain", size = 10 };
        using var revoked = await Client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/presign", project.ApiKey, body));
        using var withJwtOnly = await Client.SendAsync(XRayApi.Authorized(HttpMethod.Post, "api/v1/presign", owner.Token, body));
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, withJwtOnly.StatusCode);
    }

    [Fact]
    public async Task A_non_member_cannot_get_a_download_url()
    {
        var owner = await Client.RegisterAndLoginAsync();
        var stranger = await Client.RegisterAndLoginAsync();
        var project = await Client.CreateProjectWithKeyAsync(owner);
        var path = $"api/v1/traces/{TraceIds.New(project.ProjectId)}/data/{Guid.NewGuid()}";
        using var hidden = await Client.SendAsync(XRayApi.Authorized(HttpMethod.Get, path, stranger.Token));
        using var anonymous = await Client.GetAsync(path);
        using var withKey = await Client.SendAsync(XRayApi.WithKey(HttpMethod.Get, path, project.ApiKey));
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, withKey.StatusCode);
    }

    [Theory]
    [InlineData("traceId", "not-a-trace", null, "text/plain", 10L, null)]
    [InlineData("dataId", null, "not-a-uuid", "text/plain", 10L, null)]
    [InlineData("size", null, null, "text/plain", -5L, null)]
    [InlineData("contentType", null, null, "", 10L, null)]
    [InlineData("contentType", null, null, "not a media type", 10L, null)]
    [InlineData("contentType", null, null, "text/plain\r\nx-evil: 1", 10L, null)]
    [InlineData("contentType", null, null, " text/plain", 10L, null)] // HTTP drops the spaces of a header: the upload could never match
    [InlineData("contentType", null, null, "text/plain ", 10L, null)]
    [InlineData("sha256", null, null, "text/plain", 10L, "abc")]
    public async Task Bad_presign_input_is_a_400_naming_the_field(string field, string? traceId, string? dataId, string contentType, long size, string? sha256)
    {
        var project = await fixture.SharedProjectAsync();
        using var response = await Client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/presign", project.ApiKey,
            new { traceId = traceId ?? TraceIds.New(project.ProjectId), dataId = dataId ?? Guid.NewGuid().ToString(), contentType, size, sha256 }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_blob_over_the_limit_is_refused_at_presign_with_413()
    {
        var project = await fixture.SharedProjectAsync();
        using var response = await Client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/presign", project.ApiKey,
            new { traceId = TraceIds.New(project.ProjectId), dataId = Guid.NewGuid(), contentType = "text/plain", size = BlobGatewayFixture.MaxBlobBytes + 1 }));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains(BlobGatewayFixture.MaxBlobBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Bad_download_ids_are_a_400()
    {
        var user = (await fixture.SharedProjectAsync()).Owner;
        using var response = await Client.SendAsync(XRayApi.Authorized(HttpMethod.Get, "api/v1/traces/nope/data/nope", user.Token));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("traceId", text);
        Assert.Contains("dataId", text);
    }

    protected async Task<JsonElement> PresignAsync(string apiKey, object body)
    {
        using var response = await Client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/presign", apiKey, body));
        await XRayApi.EnsureAsync(response, HttpStatusCode.OK);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}

public sealed class LocalBlobsApiTests(LocalBlobGatewayFixture fixture) : BlobsApiTests(fixture), IClassFixture<LocalBlobGatewayFixture>
{
    /// <summary>The local store's URLs are made from the Host the request reached; one that forms no URL is the client's to fix.</summary>
    [Theory]
    [InlineData("localhost:99999")]
    [InlineData("a..b")]
    [InlineData("")] // allowed by HTTP/1.1 for a request without an authority
    public async Task A_host_header_that_forms_no_url_is_a_400_at_presign_and_download(string host)
    {
        var project = await Fixture.SharedProjectAsync();
        var traceId = TraceIds.New(project.ProjectId);
        var dataId = Guid.CreateVersion7().ToString();
        var body = new { traceId, dataId, contentType = "text/plain", size = 3 };

        var gateway = Fixture.Gateway!.BaseAddress;
        var refused = await SendRawAsync(gateway, "POST", "api/v1/presign", host, new Dictionary<string, string> { ["x-api-key"] = project.ApiKey },
            JsonSerializer.Serialize(body, XRayApi.Json));
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Contains("Host", refused.Body);

        await PresignAsync(project.ApiKey, body);
        await Client.WaitForDataAsync(project.Owner.Token, traceId, dataId);
        var download = await SendRawAsync(gateway, "GET", $"api/v1/traces/{traceId}/data/{dataId}", host,
            new Dictionary<string, string> { ["authorization"] = $"Bearer {project.Owner.Token}" });
        Assert.Equal(HttpStatusCode.BadRequest, download.Status);
        Assert.Contains("Host", download.Body);
    }
}

public sealed class S3BlobsApiTests(S3BlobGatewayFixture fixture) : BlobsApiTests(fixture), IClassFixture<S3BlobGatewayFixture>;
