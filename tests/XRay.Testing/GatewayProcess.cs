using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace XRay.Testing;

/// <summary>
/// The real gateway (embedded mode) as a child process on free ports with its own data directory.
/// Tests talk to it over HTTP; crash tests kill it with SIGKILL and start it again on the same data.
/// </summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    /// <summary>A fixed signing key so tests can mint their own (valid, expired or forged) tokens.</summary>
    public const string SigningKeyBase64 = "dGVzdC1zaWduaW5nLWtleS10ZXN0LXNpZ25pbmcta2V5LTEyMzQ1Njc4OTA=";

    private readonly ConcurrentQueue<string> _output = new();
    private readonly Dictionary<string, string> _settings;
    private readonly bool _ownsDataDirectory;
    private Process? _process;

    private readonly bool _serverGc;
    private readonly bool _allAddresses;
    private readonly bool _siloPortsChosenHere;
    private bool _startedOnce;

    /// <param name="serverGc">
    /// Run with the gateway's shipped garbage collector (server GC, as ASP.NET Core apps default to). Tests leave it
    /// off: many test gateways share two cores, and workstation GC keeps each small. The load tool turns it on.
    /// </param>
    /// <param name="allAddresses">Listen on every address (IPv6 and, dual-stack, IPv4), not only 127.0.0.1.</param>
    public GatewayProcess(string? dataDirectory = null, IDictionary<string, string>? settings = null, bool serverGc = false, bool allAddresses = false)
    {
        _serverGc = serverGc;
        _allAddresses = allAddresses;
        _ownsDataDirectory = dataDirectory is null;
        DataDirectory = dataDirectory ?? Directory.CreateTempSubdirectory("xray-test-").FullName;
        Port = FreePorts.Next();
        _settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Storage:DataDirectory"] = DataDirectory,
            ["Auth:SigningKey"] = SigningKeyBase64,
            ["Logging:LogLevel:Default"] = "Warning",
            // Suites sign up hundreds of users from one address; RateLimitTests check the limits themselves.
            ["RateLimits:AuthBurst"] = "100000",
            ["RateLimits:SdkBurst"] = "100000",
            ["RateLimits:KeyLookupBurst"] = "100000",
            ["RateLimits:UserBurst"] = "100000",
            ["RateLimits:LoginBurstPerEmail"] = "100000",
            // A read waits for the consumer to apply what was acknowledged before it, up to this long (2 s shipped). Many
            // test gateways share two cores, and a consumer starved past 2 s made a read right after an ingest a 404:
            // tests wait longer; the load tool puts the shipped bound back, since it measures through it.
            ["Ingest:ReadFenceTimeout"] = "00:00:30",
        };
        ChooseSiloPorts();
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            _settings[key] = value;
        }

        _siloPortsChosenHere = settings is null || !settings.ContainsKey("Orleans:SiloPort");
    }

    public string DataDirectory { get; }

    /// <summary>The HTTP port; chosen again only if it was taken before the first start succeeded.</summary>
    public int Port { get; private set; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    private void ChooseSiloPorts()
    {
        _settings["Orleans:SiloPort"] = FreePorts.Next().ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public int? ProcessId => _process?.Id;

    /// <summary>What the process printed, for failure messages.</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>
    /// Starts the gateway and waits until <c>/healthz</c> answers. A free port can be taken by another process between
    /// being found and being bound (test assemblies run side by side): when the embedded silo's ports, or before the
    /// first successful start the HTTP port, were taken, the start is retried on new ones. After a first start the
    /// HTTP port stays, since clients already know the address.
    /// </summary>
    public async Task StartAsync(TimeSpan? timeout = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartOnceAsync(timeout ?? TimeSpan.FromSeconds(60));
                _startedOnce = true;
                return;
            }
            catch (InvalidOperationException) when (attempt < 4 && TakenPorts() is var (http, silo) && (http || silo))
            {
                _process?.Dispose();
                _process = null;
                _output.Clear();
                if (http)
                {
                    Port = FreePorts.Next();
                }

                if (silo)
                {
                    ChooseSiloPorts();
                }
            }
        }
    }

    /// <summary>Which of the ports this harness may move were taken, by what the failed start printed.</summary>
    private (bool Http, bool Silo) TakenPorts()
    {
        var output = Output;
        if (!output.Contains("Address already in use", StringComparison.OrdinalIgnoreCase))
        {
            return (false, false);
        }

        var http = !_startedOnce && output.Contains($"Failed to bind to address {BaseAddress.ToString().TrimEnd('/')}", StringComparison.Ordinal);
        var silo = _siloPortsChosenHere && output.Contains("Orleans.Networking", StringComparison.Ordinal);
        return (http, silo);
    }

    private async Task StartOnceAsync(TimeSpan timeout)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = DataDirectory,
        };
        info.ArgumentList.Add(RepositoryPaths.Assembly("XRay.Gateway"));
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(_allAddresses ? $"http://[::]:{Port}" : BaseAddress.ToString().TrimEnd('/'));
        foreach (var (key, value) in _settings)
        {
            info.ArgumentList.Add($"--{key}={value}");
        }

        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["DOTNET_gcServer"] = _serverGc ? "1" : "0";
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the gateway");
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await WaitHealthyAsync(timeout);
    }

    /// <summary>Kills the process with SIGKILL: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>Stops the process with SIGTERM and waits for a graceful exit.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill!.WaitForExitAsync();
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>An HTTP client for this gateway.</summary>
    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        if (_ownsDataDirectory)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // best effort: a temp directory left behind is harmless
            }
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 500 && _output.TryDequeue(out _))
        {
        }
    }

    private async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process is null || _process.HasExited)
            {
                if (_process is not null)
                {
                    await _process.WaitForExitAsync(); // also waits until its output has been read to the end
                }

                throw new InvalidOperationException($"The gateway exited during start-up:{Environment.NewLine}{Output}");
            }

            try
            {
                using var response = await client.GetAsync("healthz");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The gateway did not become healthy within {timeout}:{Environment.NewLine}{Output}");
    }
}
