using XRay.Testing;

namespace XRay.LoadTest;

/// <summary>
/// The gateway under load: started here (Release build, temp data dir, free ports) or one already running,
/// with a fresh user, project and API key created through the real API.
/// </summary>
internal sealed class Target : IAsyncDisposable
{
    private readonly GatewayProcess? _process;

    private Target(GatewayProcess? process, Uri baseAddress, string? databasePath)
    {
        _process = process;
        BaseAddress = baseAddress;
        DatabasePath = databasePath;
        Http = CreateHttp(baseAddress);
    }

    public Uri BaseAddress { get; }

    /// <summary>The gateway's SQLite file, read read-only for end-to-end counts (null: unknown).</summary>
    public string? DatabasePath { get; }

    /// <summary>Process id of a spawned gateway, for its CPU time.</summary>
    public int? ProcessId => _process?.ProcessId;

    public HttpClient Http { get; }

    public TestProject Project { get; private set; } = null!;

    public static async Task<Target> StartAsync(LoadOptions options, string? dataDirectory = null)
    {
        if (options.Url is not null)
        {
            return await WithProjectAsync(new Target(null, options.Url, options.DatabasePath));
        }

        var settings = options.ServerSettings.ToDictionary();
        settings.TryAdd("Ingest:ReadFenceTimeout", "00:00:02"); // the shipped bound (GatewayProcess lengthens it for tests): time-to-queryable is read through it
        var process = new GatewayProcess(dataDirectory, settings, serverGc: options.ServerGc);
        await process.StartAsync();
        // A --set Storage:DataDirectory moves the store (say, to /dev/shm for an experiment); count events where it is.
        var store = options.ServerSettings.GetValueOrDefault("Storage:DataDirectory") ?? process.DataDirectory;
        return await WithProjectAsync(new Target(process, process.BaseAddress, Path.Combine(store, "xray.db")));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
    }

    private static async Task<Target> WithProjectAsync(Target target)
    {
        var user = await target.Http.RegisterAndLoginAsync();
        target.Project = await target.Http.CreateProjectWithKeyAsync(user, "load test");
        return target;
    }

    // One pooled handler for every client: a connection per concurrent request, no proxy lookups.
    private static HttpClient CreateHttp(Uri baseAddress) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 1024,
        UseProxy = false,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
    })
    {
        BaseAddress = baseAddress,
        Timeout = TimeSpan.FromSeconds(60),
    };
}
