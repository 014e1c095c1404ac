using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace XRay.Testing;

/// <summary>
/// An S3-compatible server for tests: the one named by <c>XRAY_TEST_S3</c> (an endpoint URL, with
/// <c>XRAY_TEST_S3_BUCKET</c>, <c>XRAY_TEST_S3_ACCESS_KEY</c>, <c>XRAY_TEST_S3_SECRET_KEY</c>), or else
/// s3rver (installed by <c>eng/install-test-deps.sh</c>) started as a child process on a free port with
/// a temporary directory. s3rver checks SigV4 signatures and expiry like S3 does.
/// </summary>
public sealed class S3TestServer : IAsyncDisposable
{
    /// <summary>Why S3 tests skip when no server can be had.</summary>
    public const string NotInstalled = "S3 test server not installed: run eng/install-test-deps.sh";

    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;
    private string? _directory;

    private S3TestServer(Uri serviceUrl, string bucket, string accessKey, string secretKey)
    {
        ServiceUrl = serviceUrl;
        Bucket = bucket;
        AccessKey = accessKey;
        SecretKey = secretKey;
    }

    public Uri ServiceUrl { get; }

    public string Bucket { get; }

    public string AccessKey { get; }

    public string SecretKey { get; }

    /// <summary>Where s3rver's module lives once installed.</summary>
    public static string ModuleDirectory => Path.Combine(RepositoryPaths.Root, ".tools", "s3rver", "node_modules", "@20minutes", "s3rver");

    /// <summary>Gateway settings that select this server as the blob store.</summary>
    public IDictionary<string, string> GatewaySettings(string keyPrefix = "") => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Blobs:Provider"] = "S3",
        ["Blobs:S3:Bucket"] = Bucket,
        ["Blobs:S3:KeyPrefix"] = keyPrefix,
        ["Blobs:S3:ServiceUrl"] = ServiceUrl.ToString(),
        ["Blobs:S3:ForcePathStyle"] = "true",
        ["Blobs:S3:Region"] = "us-east-1",
        ["Blobs:S3:AccessKeyId"] = AccessKey,
        ["Blobs:S3:SecretAccessKey"] = SecretKey,
    };

    /// <summary>The external server, a freshly started s3rver, or <c>null</c> when neither is available.</summary>
    public static async Task<S3TestServer?> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("XRAY_TEST_S3") is { Length: > 0 } external)
        {
            return new S3TestServer(new Uri(external),
                Environment.GetEnvironmentVariable("XRAY_TEST_S3_BUCKET") ?? "xray-test",
                Environment.GetEnvironmentVariable("XRAY_TEST_S3_ACCESS_KEY") ?? "S3RVER",
                Environment.GetEnvironmentVariable("XRAY_TEST_S3_SECRET_KEY") ?? "S3RVER");
        }

        if (!Directory.Exists(ModuleDirectory) || !NodeExists())
        {
            return null;
        }

        var port = FreePorts.Next();
        var server = new S3TestServer(new Uri($"http://127.0.0.1:{port}"), "xray-test", "S3RVER", "S3RVER")
        {
            _directory = Directory.CreateTempSubdirectory("xray-s3-").FullName,
        };
        var info = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.Combine(RepositoryPaths.Root, ".tools", "s3rver"),
        };
        // The package lacks bin/s3rver.js; its CLI module is started directly (see ENVIRONMENT.md).
        foreach (var arg in new[]
        {
            "-e", "require('@20minutes/s3rver/lib/cli').parseAsync(process.argv.slice(1), {from: 'user'})", "--",
            "-d", server._directory, "-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "--configure-bucket", server.Bucket,
        })
        {
            info.ArgumentList.Add(arg);
        }

        server._process = Process.Start(info) ?? throw new InvalidOperationException("could not start node");
        server._process.OutputDataReceived += (_, e) => server.Keep(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        await server.WaitListeningAsync(port, TimeSpan.FromSeconds(60)); // node starts in seconds, many more on a loaded machine
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        if (_directory is not null)
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // best effort: a temp directory left behind is harmless
            }
        }
    }

    private static bool NodeExists() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, "node")));

    private async Task WaitListeningAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process is null || _process.HasExited)
            {
                throw new InvalidOperationException($"s3rver exited during start-up:{Environment.NewLine}{string.Join(Environment.NewLine, _output)}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new TimeoutException($"s3rver did not listen within {timeout}:{Environment.NewLine}{string.Join(Environment.NewLine, _output)}");
    }

    private void Keep(string? line)
    {
        if (line is not null && _output.Count < 200)
        {
            _output.Enqueue(line);
        }
    }
}
