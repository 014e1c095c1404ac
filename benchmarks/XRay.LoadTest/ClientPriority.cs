using System.Runtime.InteropServices;

namespace XRay.LoadTest;

/// <summary>
/// Puts the calling thread (the pacer, a client reading its connection) under <c>SCHED_FIFO</c> at the lowest real-time
/// priority. The clients stand in for SDKs on other machines: their sends should leave when due and their reads
/// should see an ACK when it arrives, not after the gateway's threads finish a time slice on the two shared cores.
/// These threads run for microseconds per request and then block, so the gateway loses no measurable CPU to them.
/// Linux only, and it needs <c>CAP_SYS_NICE</c> (root has it); otherwise the thread keeps its normal priority.
/// </summary>
internal static class ClientPriority
{
    private const int SchedFifo = 1;

    private static int _refused;

    /// <summary>Whether <c>--no-realtime</c> was not given and every thread that asked got the priority.</summary>
    public static bool Granted => Volatile.Read(ref _refused) == 0;

    public static void Raise(LoadOptions options)
    {
        if (!options.RealtimeClients || !OperatingSystem.IsLinux())
        {
            Interlocked.Exchange(ref _refused, 1);
            return;
        }

        var priority = 1; // struct sched_param { int sched_priority; }
        if (SchedSetScheduler(0, SchedFifo, ref priority) != 0)
        {
            Interlocked.Exchange(ref _refused, 1);
        }
    }

    [DllImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SchedSetScheduler(int pid, int policy, ref int param);
}
