using System.Globalization;
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
/// The whole machine's CPU time by state (<c>/proc/stat</c>, all processes, ours included): whether a run met a
/// neighbour. On a virtual machine <see cref="Steal"/> is time the host gave the vCPUs to someone else: a run in a spell
/// of it measures the host, not the code.
/// </summary>
internal readonly record struct BoxCpu(long User, long System, long Idle, long IoWait, long Steal, long Other)
{
    private long Total => User + System + Idle + IoWait + Steal + Other;

    /// <summary>The counters now; all zero where <c>/proc/stat</c> cannot be read (not Linux).</summary>
    public static BoxCpu Read()
    {
        try
        {
            // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user)
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
            return new BoxCpu(fields[0] + fields[1], fields[2], fields[3], fields[4], fields[7], fields[5] + fields[6]);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or InvalidOperationException)
        {
            return default;
        }
    }

    public static BoxCpu operator -(BoxCpu after, BoxCpu before) => new(
        after.User - before.User, after.System - before.System, after.Idle - before.Idle, after.IoWait - before.IoWait,
        after.Steal - before.Steal, after.Other - before.Other);

    /// <summary>"busy 80 % (user 70, system 10), I/O wait 3 %, idle 15 %, stolen by the host 2 %"; null without a reading.</summary>
    public string? Describe()
    {
        var total = (double)Total;
        if (total <= 0)
        {
            return null;
        }

        static string Pct(long part, double total) => (100 * part / total).ToString("0", CultureInfo.InvariantCulture);
        return $"busy {Pct(User + System + Other, total)} % (user {Pct(User, total)}, system {Pct(System, total)}), I/O wait {Pct(IoWait, total)} %, idle {Pct(Idle, total)} %, stolen by the host {Pct(Steal, total)} %";
    }
}
