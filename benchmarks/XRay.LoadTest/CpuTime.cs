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
