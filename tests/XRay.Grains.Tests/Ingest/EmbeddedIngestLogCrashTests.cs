using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using XRay.Grains.Ingest;
using XRay.Grains.Ingest.Embedded;
using XRay.Grains.Options;

namespace XRay.Grains.Tests.Ingest;

/// <summary>
/// SIGKILLs a writer process (<c>XRay.Grains.Tests.CrashWriter</c>) in the middle of concurrent appends, several
/// times over the same directory, and checks that every record it acknowledged is still there, intact.
/// </summary>
public sealed class EmbeddedIngestLogCrashTests : IDisposable
{
    private const int Rounds = 4;
    private const int AcksBeforeKill = 3000;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_acknowledged_record_survives_kill_minus_nine()
    {
        var acknowledged = new HashSet<long>();
        for (var round = 0; round < Rounds; round++)
        {
            // Kill at a different depth each round, so the kill lands in different phases (append, fsync, roll).
            acknowledged.UnionWith(await RunAndKillWriterAsync((round * 10_000_000L) + 1, AcksBeforeKill << round));

            var stored = await ReadAllAsync();
            Assert.Equal(stored.Count, stored.Distinct().Count());
            TestContext.Current.TestOutputHelper?.WriteLine($"round {round}: {acknowledged.Count} acknowledged so far, {stored.Count} stored");
            var lost = acknowledged.Except(stored).Take(10).ToList();
            Assert.True(lost.Count == 0, $"round {round}: acknowledged but lost: {string.Join(',', lost)}");
        }

        // The log survived four crashes and still takes appends.
        using var log = OpenLog();
        await log.AppendAsync([Encoding.UTF8.GetBytes("99:after")], Ct);
        log.Dispose();
        Assert.Contains(99L, await ReadAllAsync());
    }

    [Fact]
    public async Task A_log_another_process_holds_open_is_refused_and_free_again_once_that_process_dies()
    {
        // A second server on the same data directory: its recovery would cut the writer's batch in progress as a torn
        // tail, and both would append at the same end, each over the records the other acknowledged.
        var acknowledged = await RunAndKillWriterAsync(1, AcksBeforeKill, whileRunning: () =>
        {
            var refused = Assert.Throws<InvalidOperationException>(OpenLog);
            Assert.Contains("is open in another process", refused.Message, StringComparison.Ordinal);
            return Task.CompletedTask;
        });

        // The kernel dropped the lock with the killed writer; nothing it acknowledged was lost.
        var stored = await ReadAllAsync();
        Assert.Empty(acknowledged.Except(stored));
        Assert.Equal(stored.Count, stored.Distinct().Count());
    }

    /// <summary>
    /// Starts the writer, waits for enough acknowledgements, runs <paramref name="whileRunning"/> (the writer still
    /// appending), SIGKILLs it, returns what it acknowledged.
    /// </summary>
    private async Task<HashSet<long>> RunAndKillWriterAsync(long firstNumber, int acksBeforeKill, Func<Task>? whileRunning = null)
    {
        var acknowledged = new HashSet<long>();
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writerDll = Path.Combine(AppContext.BaseDirectory, "XRay.Grains.Tests.CrashWriter.dll");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet"; // set by the SDK under dotnet test
        var start = new ProcessStartInfo(dotnet, ["exec", writerDll, _directory.Path, firstNumber.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var writer = new Process { StartInfo = start };
        writer.OutputDataReceived += (_, line) =>
        {
            // Only whole lines count: the kill may cut the last one short.
            if (line.Data is { } data && data.StartsWith("ack:", StringComparison.Ordinal) && data.EndsWith(';'))
            {
                lock (acknowledged)
                {
                    acknowledged.UnionWith(data[4..^1].Split(',').Select(n => long.Parse(n, CultureInfo.InvariantCulture)));
                    if (acknowledged.Count >= acksBeforeKill)
                    {
                        enough.TrySetResult();
                    }
                }
            }
        };
        writer.Start();
        try
        {
            writer.BeginOutputReadLine();
            var errors = writer.StandardError.ReadToEndAsync(Ct);
            var exited = writer.WaitForExitAsync(Ct);
            await Task.WhenAny(enough.Task, exited).WaitAsync(Patience, Ct);
            if (exited.IsCompleted)
            {
                Assert.Fail($"The writer exited early: {await errors}");
            }

            if (whileRunning is not null)
            {
                await whileRunning();
            }
        }
        finally
        {
            writer.Kill(); // SIGKILL on Linux
            writer.WaitForExit(); // also drains the redirected output
        }

        lock (acknowledged)
        {
            return [.. acknowledged];
        }
    }

    private EmbeddedIngestLog OpenLog()
    {
        var options = new EmbeddedIngestLogOptions { Directory = _directory.Path, Partitions = 2, SegmentBytes = 256 * 1024 };
        return new EmbeddedIngestLog(Microsoft.Extensions.Options.Options.Create(options), NullLogger<EmbeddedIngestLog>.Instance, TimeProvider.System);
    }

    /// <summary>Every number in the log, read by a throwaway group (an unreadable record throws).</summary>
    private async Task<List<long>> ReadAllAsync()
    {
        using var log = OpenLog();
        var numbers = new List<long>();
        await using var consumer = log.Subscribe($"check-{Guid.NewGuid():N}");
        IReadOnlyList<IngestRecord> batch;
        while ((batch = await consumer.PollAsync(1000, TimeSpan.Zero, Ct)).Count > 0)
        {
            numbers.AddRange(batch.Select(r =>
            {
                var text = Encoding.UTF8.GetString(r.Value.Span);
                return long.Parse(text.AsSpan(0, text.IndexOf(':', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
            }));
        }

        return numbers;
    }

    public void Dispose() => _directory.Dispose();
}
