using XRay.Testing;

namespace XRay.Blobs.Tests;

/// <summary>A real gateway process whose blob store is chosen by <see cref="SettingsAsync"/>.</summary>
public abstract class BlobGatewayFixture : IAsyncLifetime
{
    /// <summary>The local store's URL key, shared with tests that sign URLs themselves.</summary>
    public static readonly string LocalSigningKey = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("blob-url-signing-key-for-tests-only-0123456789"));

    /// <summary>Largest blob the test gateways accept.</summary>
    public const long MaxBlobBytes = 64L * 1024 * 1024;

    private Task<TestProject>? _sharedProject;

    public GatewayProcess? Gateway { get; private set; }

    public HttpClient Client { get; private set; } = null!;

    /// <summary>Why the tests skip, when the store's server is missing.</summary>
    public string? SkipReason { get; protected set; }

    public async ValueTask InitializeAsync()
    {
        var settings = await SettingsAsync();
        if (settings is null)
        {
            return;
        }

        settings["Blobs:MaxBlobBytes"] = MaxBlobBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        for (var attempt = 1; ; attempt++)
        {
            Gateway = new GatewayProcess(settings: settings);
            try
            {
                await Gateway.StartAsync();
                break;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                // Free ports are picked before use, so a parallel test may take one first; new ports usually work.
                await Gateway.DisposeAsync();
            }
        }

        Client = Gateway.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }

        await StopStoreAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>One project shared by tests that only need some valid key (password hashing is slow on purpose).</summary>
    public Task<TestProject> SharedProjectAsync()
    {
        var client = Require();
        return _sharedProject ??= CreateAsync(client); // tests of one class run one at a time

        static async Task<TestProject> CreateAsync(HttpClient client) => await client.CreateProjectWithKeyAsync(await client.RegisterAndLoginAsync());
    }

    /// <summary>The running gateway's client, or a skip of the calling test.</summary>
    public HttpClient Require()
    {
        Assert.SkipWhen(SkipReason is not null, SkipReason ?? string.Empty);
        return Client;
    }

    /// <summary>Gateway settings selecting the store, or <c>null</c> (with <see cref="SkipReason"/>) when it cannot run.</summary>
    protected abstract Task<Dictionary<string, string>?> SettingsAsync();

    /// <summary>Stops the store's server, if the fixture started one.</summary>
    protected virtual ValueTask StopStoreAsync() => ValueTask.CompletedTask;
}

/// <summary>A gateway storing blobs as local files (the embedded default).</summary>
public sealed class LocalBlobGatewayFixture : BlobGatewayFixture
{
    protected override Task<Dictionary<string, string>?> SettingsAsync() =>
        Task.FromResult<Dictionary<string, string>?>(new() { ["Blobs:Provider"] = "Local", ["Blobs:Local:SigningKey"] = LocalSigningKey });
}

/// <summary>A gateway storing blobs in the S3 test server.</summary>
public sealed class S3BlobGatewayFixture : BlobGatewayFixture
{
    private S3TestServer? _server;

    protected override ValueTask StopStoreAsync() => _server?.DisposeAsync() ?? ValueTask.CompletedTask;

    protected override async Task<Dictionary<string, string>?> SettingsAsync()
    {
        _server = await S3TestServer.StartAsync();
        if (_server is null)
        {
            SkipReason = S3TestServer.NotInstalled;
            return null;
        }

        return new Dictionary<string, string>(_server.GatewaySettings("e2e/"), StringComparer.Ordinal);
    }
}
