namespace XRay.Sdk.Tests.Fakes;

/// <summary>
/// Tests against a <see cref="FakeGateway"/>, reached directly or through a <see cref="FaultProxy"/> in front of it; both
/// are started before each test and stopped after it.
/// </summary>
public abstract class GatewayBehindProxy : IAsyncLifetime
{
    protected FakeGateway Gateway { get; private set; } = null!;

    protected FaultProxy Proxy { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Gateway = await FakeGateway.StartAsync();
        Proxy = await FaultProxy.StartAsync(Gateway.BaseAddress);
    }

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await Gateway.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
