using System.Diagnostics;

namespace XRay.LoadTest;

/// <summary>Figures of one ingest run.</summary>
internal sealed record IngestResult(
    LoadOptions Options,
    IngestTally Tally,
    Latencies Queryable,
    long QueryableTimedOut,
    double? WrittenPerSecondInWindow,
    double? EndToEndPerSecond,
    TimeSpan? DrainAfterLoad,
    long MaxLag,
    TimeSpan GatewayCpu,
    TimeSpan ToolCpu,
    BoxCpu Box,
    long? GatewayDiskWrites,
    DiskProbeResult? Disk,
    GatewayCounters? Counters,
    BaselineResult? Baseline)
{
    public double AckedPerSecond => Tally.AckedInWindow / Options.Duration.TotalSeconds;

    public double AverageEventBytes => Tally.Bytes / (double)Math.Max(1, Tally.AckedTotal);
}

/// <summary>
/// The ingest run: warm-up, a measured window of closed- or open-loop load, then waiting until the store holds
/// every ACKed event (counted in the SQLite file), then the raw-store ceiling with the gateway stopped.
/// </summary>
internal static class IngestScenario
{
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(90);

    /// <summary>How long the tool waits after the drain for the consumer to commit the offsets of what it applied.</summary>
    private static readonly TimeSpan CommitLimit = TimeSpan.FromSeconds(10);

    public static async Task<IngestResult> RunAsync(LoadOptions options)
    {
        var result = await LoadAsync(options);
        if (options.Baseline)
        {
            // With the gateway stopped, so the store has the machine to itself; as many events as the server took.
            Console.Error.WriteLine("raw-store baseline ...");
            var events = Math.Min(options.BaselineEvents, Math.Max(result.Tally.AckedTotal, 100_000));
            result = result with { Baseline = await RawStoreBaseline.RunAsync(events, options.Batch) };
        }

        return result;
    }

    private static async Task<IngestResult> LoadAsync(LoadOptions options)
    {
        await using var target = await Target.StartAsync(options);
        using var counter = target.DatabasePath is null ? null : new StoreCounter(target.DatabasePath, target.Project.ProjectId);
        // The probe syncs on the file system of the ingest log: the ACK waits for the log's fsync.
        using var disk = DiskProbe.Beside(options.ServerSettings.GetValueOrDefault("Ingest:Log:Directory") is { } log ? Path.Combine(log, "probe") : target.DatabasePath);
        using var supply = new BatchSupply(target.BaseAddress, target.Project.ProjectId, target.Project.ApiKey, options);
        var start = Stopwatch.GetTimestamp();
        var windowStart = start + (long)(options.Warmup.TotalSeconds * Stopwatch.Frequency);
        var windowEnd = windowStart + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
        var probe = new QueryabilityProbe(target.Http, target.Project.Owner.Token, options.Sample, windowStart);
        var driver = new IngestDriver(target.BaseAddress, supply, options, probe);
        var gatewayCpu = CpuTime.OfProcess(target.ProcessId);
        var toolCpu = CpuTime.OfThisProcess();
        var box = BoxCpu.Read();
        var diskWrites = DiskWrites.OfProcess(target.ProcessId);
        var countersBefore = await GatewayCounters.ReadAsync(target.Http);

        using var stopSampling = new CancellationTokenSource();
        var samples = new List<(long Ticks, long Written, long Acked)>();
        var sampling = counter is null ? Task.CompletedTask : SampleAsync(counter, driver.Tally, samples, stopSampling.Token);
        await driver.RunAsync(start);
        var loadEnd = Stopwatch.GetTimestamp();
        gatewayCpu = CpuTime.OfProcess(target.ProcessId) - gatewayCpu;
        toolCpu = CpuTime.OfThisProcess() - toolCpu;
        box = BoxCpu.Read() - box;
        diskWrites = DiskWrites.OfProcess(target.ProcessId) - diskWrites;

        TimeSpan? drain = null;
        if (counter is not null)
        {
            while (await counter.CountEventsAsync() < driver.Tally.AckedTotal && Stopwatch.GetElapsedTime(loadEnd) < DrainLimit)
            {
                await Task.Delay(50);
            }

            drain = Stopwatch.GetElapsedTime(loadEnd);
        }

        await stopSampling.CancelAsync();
        await sampling;
        await probe.DrainAsync();
        var counters = countersBefore is null ? null : await GatewayCounters.ReadCommittedAsync(target.Http, countersBefore, driver.Tally.AckedTotal, CommitLimit);

        // End to end: from the first send until the store holds every ACKed event.
        double? endToEnd = drain is null ? null : driver.Tally.AckedTotal / (Stopwatch.GetElapsedTime(start, loadEnd) + drain.Value).TotalSeconds;
        var maxLag = samples.Count == 0 ? 0 : samples.Max(s => s.Acked - s.Written);
        return new IngestResult(options, driver.Tally, probe.Latency, probe.TimedOut, WrittenRate(samples, windowStart, windowEnd),
            endToEnd, drain, maxLag, gatewayCpu, toolCpu, box, diskWrites, disk?.Between(windowStart, windowEnd), counters, null);
    }

    // Every 500 ms: events in the store vs. ACKed, for the written rate inside the window and the consumer's lag.
    private static async Task SampleAsync(StoreCounter counter, IngestTally tally, List<(long, long, long)> samples, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var acked = tally.AckedTotal;
                samples.Add((Stopwatch.GetTimestamp(), await counter.CountEventsAsync(), acked));
                await Task.Delay(500, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static double? WrittenRate(List<(long Ticks, long Written, long Acked)> samples, long windowStart, long windowEnd)
    {
        var inWindow = samples.Where(s => s.Ticks >= windowStart && s.Ticks <= windowEnd).ToList();
        if (inWindow.Count < 2)
        {
            return null;
        }

        var (first, last) = (inWindow[0], inWindow[^1]);
        return (last.Written - first.Written) / Stopwatch.GetElapsedTime(first.Ticks, last.Ticks).TotalSeconds;
    }
}
