using System.Diagnostics;

namespace XRay.LoadTest;

/// <summary>
/// CPU seconds used by this tool and by the gateway: on two shared cores the load generator competes with
/// the server, so the report says how much of the machine each one took.
/// </summary>
internal static class CpuTime
{
    public static TimeSpan OfThisProcess()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    /// <summary>User + system time of another process, from <c>/proc</c>; zero when it cannot be read.</summary>
    public static TimeSpan OfProcess(int? processId)
    {
        if (processId is null)
        {
            return TimeSpan.Zero;
        }

        try
        {
            using var process = Process.GetProcessById(processId.Value);
            return process.TotalProcessorTime;
        }
        catch (ArgumentException)
        {
            return TimeSpan.Zero;
        }
    }
}

/// <summary>
/// Bytes a process caused to be written to storage (<c>write_bytes</c> in <c>/proc/PID/io</c>): the store's write
/// amplification, which on a shared disk sets how long the ingest log's own syncs wait in the device's queue.
/// </summary>
internal static class DiskWrites
{
    /// <summary>The process's bytes written so far; null off Linux or when it cannot be read.</summary>
    public static long? OfProcess(int? processId)
    {
        if (processId is null)
        {
            return null;
        }

        try
        {
            foreach (var line in File.ReadLines($"/proc/{processId}/io"))
            {
                if (line.StartsWith("write_bytes:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan("write_bytes:".Length), System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }
}
