using XRay.Testing;

namespace XRay.Gateway.Tests;

/// <summary>One real gateway process shared by the tests of a collection.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public GatewayProcess Gateway { get; } = new();

    public HttpClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await Gateway.StartAsync();
        Client = Gateway.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Gateway.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}
