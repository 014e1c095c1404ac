using System.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace XRay.LoadTest;

/// <summary>
/// The disk's own sync latency during the run, measured beside the gateway: every 20 ms a 4 KiB append and an
/// fsync of a file on the gateway's file system. Every ACK waits for the ingest log's sync, so when this probe
/// stalls too, a slow ACK was the disk's (a shared virtual disk stalls now and then), not the server's. The
/// probe adds one small sync per 20 ms, against hundreds per second from the log itself.
/// </summary>
internal sealed class DiskProbe : IDisposable
{
    private const int IntervalMs = 20;
    private const int Bytes = 4096;
    private static readonly TimeSpan StallThreshold = TimeSpan.FromMilliseconds(10);

    private readonly SafeFileHandle _file;
    private readonly Thread _thread;
    private readonly List<(long At, long Ticks)> _samples = [];
    private readonly Lock _lock = new();
    private volatile bool _stopping;

    private DiskProbe(string directory)
    {
        var path = Path.Combine(directory, $"disk-probe-{Environment.ProcessId}.tmp");
        _file = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, FileOptions.DeleteOnClose);
        _thread = new Thread(Run) { IsBackground = true, Name = "disk-probe" };
        _thread.Start();
    }

    /// <summary>Starts probing next to <paramref name="databasePath"/>; null when there is no local file to sit beside.</summary>
    public static DiskProbe? Beside(string? databasePath) =>
        databasePath is not null && Path.GetDirectoryName(Path.GetFullPath(databasePath)) is { } directory && Directory.Exists(directory)
            ? new DiskProbe(directory)
            : null;

    /// <summary>Sync latencies of the probes that started inside [<paramref name="from"/>, <paramref name="to"/>) (Stopwatch timestamps).</summary>
    public DiskProbeResult Between(long from, long to)
    {
        var latencies = new Latencies();
        long stalls = 0;
        lock (_lock)
        {
            foreach (var (at, ticks) in _samples)
            {
                if (at >= from && at < to)
                {
                    latencies.Add(ticks);
                    stalls += ticks >= StallThreshold.TotalSeconds * Stopwatch.Frequency ? 1 : 0;
                }
            }
        }

        return new DiskProbeResult(latencies, stalls, StallThreshold);
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _file.Dispose();
    }

    private void Run()
    {
        var block = new byte[Bytes];
        long offset = 0;
        while (!_stopping)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                RandomAccess.Write(_file, block, offset);
                RandomAccess.FlushToDisk(_file);
                offset = offset >= (256L << 20) ? 0 : offset + Bytes; // stay under 256 MiB, rewriting from the start
            }
            catch (IOException)
            {
                return; // the disk is full or gone: the run reports what was measured
            }

            var elapsed = Stopwatch.GetTimestamp() - start;
            lock (_lock)
            {
                _samples.Add((start, elapsed));
            }

            Thread.Sleep(IntervalMs);
        }
    }
}

/// <summary>The probe's syncs in the measured window, and how many took longer than <see cref="StallThreshold"/>.</summary>
internal sealed record DiskProbeResult(Latencies Syncs, long Stalls, TimeSpan StallThreshold);
