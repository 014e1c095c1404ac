using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using XRay.Grains.Ingest;
using XRay.Grains.Options;

namespace XRay.Grains.Tests.Ingest;

public sealed class BackgroundWorkTests
{
    [Fact]
    public async Task Work_runs_on_the_background_threads_and_the_caller_continues_off_them()
    {
        using var work = NewBackgroundWork(nice: 10);

        var (ranThere, threadName) = await work.Run(() => (BackgroundWork.IsCurrentThread, Thread.CurrentThread.Name));

        Assert.True(ranThere);
        Assert.StartsWith("xray-background-", threadName, StringComparison.Ordinal);
        Assert.False(BackgroundWork.IsCurrentThread);
    }

    [Fact]
    public async Task The_threads_run_at_the_configured_nice_value_on_Linux()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Thread priorities are set on Linux only.");
        using var work = NewBackgroundWork(nice: 7);

        var nice = await work.Run(() => NiceOfCurrentThread());

        // Never below the process's own nice value: raising a thread's priority back needs a privilege.
        Assert.Equal(Math.Max(7, ProcessNice()), nice);
        Assert.Equal(0, NiceOfCurrentThread() - ProcessNice());
    }

    [Theory]
    [InlineData(true, SchedIdle)]
    [InlineData(false, SchedOther)]
    public async Task The_threads_run_under_SCHED_IDLE_unless_turned_off_and_callers_never_do(bool idleScheduling, int expected)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Scheduling policies are set on Linux only.");
        using var work = NewBackgroundWork(nice: 10, idleScheduling: idleScheduling);

        var policy = await work.Run(() => SchedGetScheduler(0));

        Assert.Equal(expected, policy);
        Assert.Equal(SchedOther, SchedGetScheduler(0)); // the caller's continuation runs on a normal pool thread
    }

    [Fact]
    public async Task Nice_zero_leaves_the_threads_under_the_normal_policy()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Scheduling policies are set on Linux only.");
        using var work = NewBackgroundWork(nice: 0, idleScheduling: true);

        Assert.Equal(SchedOther, await work.Run(() => SchedGetScheduler(0)));
    }

    [Fact]
    public async Task Failures_reach_the_caller_from_synchronous_and_asynchronous_work()
    {
        using var work = NewBackgroundWork(nice: 0);

        await Assert.ThrowsAsync<InvalidOperationException>(() => work.Run<int>(() => throw new InvalidOperationException("sync")));
        await Assert.ThrowsAsync<IOException>(() => work.Run(async () =>
        {
            await Task.Yield();
            throw new IOException("async");
        }));
        await Assert.ThrowsAsync<IOException>(() => work.Run(() => Task.FromException(new IOException("faulted"))));
    }

    [Fact]
    public async Task Work_queued_after_disposal_still_runs()
    {
        var work = NewBackgroundWork(nice: 0);
        work.Dispose();

        Assert.Equal(42, await work.Run(() => 42));
    }

    private const int SchedOther = 0;
    private const int SchedIdle = 5;

    private static BackgroundWork NewBackgroundWork(int nice, bool idleScheduling = false) =>
        new(Microsoft.Extensions.Options.Options.Create(new IngestConsumerOptions { BackgroundThreads = 2, BackgroundNice = nice, BackgroundIdleScheduling = idleScheduling }), NullLogger<BackgroundWork>.Instance);

    // The calling thread's policy (pid 0 is the calling thread).
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "sched_getscheduler", SetLastError = true)]
    private static extern int SchedGetScheduler(int pid);

    // Field 19 of /proc/thread-self/stat is the nice value; the command name (field 2) may hold spaces, so count after its ')'.
    private static int NiceOfCurrentThread() => NiceIn("/proc/thread-self/stat");

    private static int ProcessNice() => NiceIn("/proc/self/stat");

    private static int NiceIn(string statPath)
    {
        var stat = File.ReadAllText(statPath);
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16], CultureInfo.InvariantCulture);
    }
}
