using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using XRay.Grains.Ingest.Embedded;
using XRay.Grains.Options;

namespace XRay.Benchmarks;

/// <summary>Records per second appended durably, by the log and by the plain-file baseline.</summary>
internal static class IngestLogThroughput
{
    public const int RecordBytes = 400;
    public const int RecordsPerCall = 50;
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(1);

    /// <summary>One thread: write a batch of records to a FileStream, fsync, repeat. What one fsync per batch costs.</summary>
    public static double RawFileBaseline(string directory, TimeSpan duration)
    {
        Directory.CreateDirectory(directory);
        var batch = new byte[RecordBytes * RecordsPerCall];
        Random.Shared.NextBytes(batch);
        using var file = new FileStream(Path.Combine(directory, "raw.log"), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        long records = 0;
        var measuring = false;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            file.Write(batch);
            file.Flush(flushToDisk: true);
            records += RecordsPerCall;
            if (!measuring && clock.Elapsed >= Warmup)
            {
                (measuring, records) = (true, 0);
                clock.Restart();
            }
            else if (measuring && clock.Elapsed >= duration)
            {
                return records / clock.Elapsed.TotalSeconds;
            }
        }
    }

    /// <summary><paramref name="callers"/> tasks each appending batches in a loop to a log with default options.</summary>
    public static async Task<double> EmbeddedLogAsync(string directory, int callers, TimeSpan duration)
    {
        var options = new EmbeddedIngestLogOptions { Directory = directory };
        await using var log = new EmbeddedIngestLog(Options.Create(options), NullLogger<EmbeddedIngestLog>.Instance, TimeProvider.System);
        var batch = Enumerable.Range(0, RecordsPerCall).Select(_ =>
        {
            var record = new byte[RecordBytes];
            Random.Shared.NextBytes(record);
            return (ReadOnlyMemory<byte>)record;
        }).ToArray();

        long records = 0;
        using var stop = new CancellationTokenSource();
        var appenders = Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await log.AppendAsync(batch);
                Interlocked.Add(ref records, RecordsPerCall);
            }
        })).ToArray();

        await Task.Delay(Warmup);
        var start = Interlocked.Read(ref records);
        var clock = Stopwatch.StartNew();
        await Task.Delay(duration);
        var appended = Interlocked.Read(ref records) - start;
        var elapsed = clock.Elapsed;
        await stop.CancelAsync();
        await Task.WhenAll(appenders);
        return appended / elapsed.TotalSeconds;
    }

    /// <summary>
    /// One consumer polling 1000 records at a time, over what a run left, committing every <paramref name="commitEvery"/>-th batch.
    /// </summary>
    public static async Task<double> ConsumeAsync(string directory, string group, int commitEvery, TimeSpan duration)
    {
        var options = new EmbeddedIngestLogOptions { Directory = directory };
        await using var log = new EmbeddedIngestLog(Options.Create(options), NullLogger<EmbeddedIngestLog>.Instance, TimeProvider.System);
        await using var consumer = log.Subscribe(group);
        long records = 0;
        var polls = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            var batch = await consumer.PollAsync(1000, TimeSpan.Zero);
            if (batch.Count == 0)
            {
                break;
            }

            if (++polls % commitEvery == 0)
            {
                await consumer.CommitAsync(batch);
            }

            records += batch.Count;
        }

        return records / clock.Elapsed.TotalSeconds;
    }
}
