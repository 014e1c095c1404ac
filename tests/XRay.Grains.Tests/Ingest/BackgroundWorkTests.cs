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

    private static BackgroundWork NewBackgroundWork(int nice) =>
        new(Microsoft.Extensions.Options.Options.Create(new IngestConsumerOptions { BackgroundThreads = 2, BackgroundNice = nice }), NullLogger<BackgroundWork>.Instance);

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
