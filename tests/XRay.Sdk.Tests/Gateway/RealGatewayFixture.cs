using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using XRay.Testing;

namespace XRay.Sdk.Tests.Gateway;

/// <summary>One real gateway process (embedded mode) with a user, a project and an SDK key, shared by a collection.</summary>
public sealed class RealGatewayFixture : IAsyncLifetime
{
    public GatewayProcess Gateway { get; } = new();

    public HttpClient Client { get; private set; } = null!;

    public TestProject Project { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await Gateway.StartAsync();
        Client = Gateway.CreateClient();
        Project = await Client.CreateProjectWithKeyAsync(await Client.RegisterAndLoginAsync());
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Gateway.DisposeAsync();
    }

    /// <summary>The trace as the query API serves it (the gateway's read fence makes acknowledged events visible).</summary>
    public async Task<JsonElement?> GetTraceAsync(string traceId)
    {
        using var response = await Client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/traces/{traceId}", Project.Owner.Token));
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await XRayApi.EnsureAsync(response, HttpStatusCode.OK);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>A data blob's bytes, downloaded through the signed URL the query API gives.</summary>
    public async Task<byte[]> DownloadAsync(string traceId, Guid dataId)
    {
        using var link = await Client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/traces/{traceId}/data/{dataId}", Project.Owner.Token));
        await XRayApi.EnsureAsync(link, HttpStatusCode.OK);
        var url = (await link.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("url").GetString()!;
        return await Client.GetByteArrayAsync(new Uri(Gateway.BaseAddress, url));
    }

    /// <summary>Whether the gateway has the presign endpoint yet (it is being built in parallel).</summary>
    public async Task<bool> HasPresignAsync()
    {
        using var response = await Client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/presign", Project.ApiKey, new { }));
        return response.StatusCode is not (HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed);
    }

    public XRayOptions Options(Uri? via = null) => new()
    {
        ApiKey = Project.ApiKey,
        ProjectId = Project.ProjectId,
        BaseUrl = (via ?? Gateway.BaseAddress).ToString(),
        TempDir = Fakes.TestTracers.NewTempDir(),
        BatchInterval = TimeSpan.FromMilliseconds(50),
        RequestTimeout = TimeSpan.FromSeconds(2),
        RetryBaseDelay = TimeSpan.FromMilliseconds(50),
        RetryMaxDelay = TimeSpan.FromMilliseconds(400),
        ShutdownTimeout = TimeSpan.FromSeconds(20),
    };
}

[CollectionDefinition(Name)]
public sealed class RealGatewayCollection : ICollectionFixture<RealGatewayFixture>
{
    public const string Name = "real gateway";
}
