using System.Diagnostics;
using System.Text.RegularExpressions;
using XRay.Sdk.Storage;
using XRay.Sdk.Tests.Fakes;
using XRay.Testing;

namespace XRay.Sdk.Tests.Http;

/// <summary>A real process that records a pipeline, cannot reach its gateway, and is killed with SIGKILL.</summary>
public sealed partial class CrashTests : IAsyncLifetime
{
    private FakeGateway _gateway = null!;

    public async ValueTask InitializeAsync() => _gateway = await FakeGateway.StartAsync();

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    [GeneratedRegex(@"trace (\S+)$")]
    private static partial Regex TraceLine();

    [Fact]
    public async Task Events_spooled_by_a_killed_process_are_sent_by_the_next_tracer_on_the_same_temp_dir()
    {
        var tempDir = TestTracers.NewTempDir();
        var sample = Path.Combine(RepositoryPaths.Root, "samples", "XRay.Sample", "bin", RepositoryPaths.Configuration, "net10.0", "XRay.Sample.dll");
        var info = new ProcessStartInfo("dotnet", [sample]) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["XRAY_API_KEY"] = FakeGateway.ApiKey;
        info.Environment["XRAY_PROJECT_ID"] = FakeGateway.ProjectId;
        info.Environment["XRAY_BASE_URL"] = $"http://127.0.0.1:{FreePorts.Next()}"; // nothing listens: connections are refused
        info.Environment["XRAY_TEMP_DIR"] = tempDir;
        info.Environment["XRAY_BATCH_INTERVAL"] = "100";
        var traceIds = new List<string>();
        using var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && TraceLine().Match(line) is { Success: true } m)
            {
                lock (traceIds)
                {
                    traceIds.Add(m.Groups[1].Value);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        // Two pipeline runs: 2 × (trace + 4 steps + success) events in batches, 2 × 3 blobs.
        await Wait.UntilAsync(() => SpooledEvents(tempDir) == 12 && Spooled(tempDir, SpoolKey.BlobPrefix).Length == 6, "the sample's spool on disk", seconds: 60);
        process.Kill(entireProcessTree: true); // SIGKILL: no flush, no dispose
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(2, traceIds.Count);

        await using (var next = new XRayTracer(TestTracers.Options(_gateway.BaseAddress, tempDir)))
        {
            Assert.True(await next.FlushAsync(TimeSpan.FromSeconds(30)));
        }

        foreach (var traceId in traceIds)
        {
            Assert.Equal(["extract-keywords", "search-catalog", "filter-candidates", "rank"], _gateway.StepsOf(traceId).Select(s => s.GetProperty("name").GetString()));
        }

        Assert.Equal(12, _gateway.Events.Count);
        Assert.Equal(6, _gateway.Blobs.Count);
        Assert.Empty(Directory.GetFiles(tempDir, "*.xr"));
    }

    /// <summary>The keys of the project's entries of one kind: files are named <c>{projectId}.{key}.xr</c>.</summary>
    private static string[] Spooled(string directory, string prefix) =>
        Directory.GetFiles(directory, $"{FakeGateway.ProjectId}.{prefix}*.xr").Select(f => Path.GetFileNameWithoutExtension(f)[(FakeGateway.ProjectId.Length + 1)..]).ToArray();

    private static int SpooledEvents(string directory) =>
        Spooled(directory, SpoolKey.BatchPrefix).Sum(key => SpoolKey.TryParseBatch(key, out var count) ? count : 0);
}
