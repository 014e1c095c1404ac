using System.Diagnostics;
using System.Runtime.InteropServices;

namespace XRay.LoadTest;

/// <summary>
/// Wakes open-loop clients when their batch is due, to within about 0.2 ms. <c>Task.Delay</c> cannot: .NET's timers
/// run on the coarse monotonic clock (one kernel tick, 4 ms here), so its sends left up to 4.7 ms late at p99 even on
/// an idle machine, and the open loop counted that as ACK latency. One thread sleeps with <c>usleep</c> (at most
/// 0.5 ms at a time, so a new waiter due before the one it sleeps for is late by at most that) and completes each due wait; the client
/// continues on the thread pool.
/// </summary>
internal sealed partial class Pacer : IDisposable
{
    private static readonly long MaxSleepTicks = Stopwatch.Frequency / 2000;

    private readonly PriorityQueue<TaskCompletionSource, long> _due = new();
    private readonly Lock _lock = new();
    private readonly AutoResetEvent _added = new(false);
    private readonly Thread _thread;
    private volatile bool _stopped;

    public Pacer()
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = "load-pacer" };
        _thread.Start();
    }

    /// <summary>Completes once <see cref="Stopwatch.GetTimestamp"/> reaches <paramref name="due"/>.</summary>
    public Task WaitUntilAsync(long due)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _due.Enqueue(done, due);
        }

        _added.Set();
        return done.Task;
    }

    public void Dispose()
    {
        _stopped = true;
        _added.Set();
        _thread.Join();
        _added.Dispose();
    }

    private void Loop()
    {
        var ready = new List<TaskCompletionSource>();
        while (!_stopped)
        {
            long next;
            lock (_lock)
            {
                var now = Stopwatch.GetTimestamp();
                while (_due.TryPeek(out var waiter, out var due) && due <= now)
                {
                    _due.Dequeue();
                    ready.Add(waiter);
                }

                next = _due.TryPeek(out _, out var first) ? first : long.MaxValue;
            }

            foreach (var waiter in ready)
            {
                waiter.SetResult();
            }

            if (ready.Count > 0)
            {
                ready.Clear();
                continue;
            }

            if (next == long.MaxValue)
            {
                _added.WaitOne();
                continue;
            }

            var left = Math.Min(next - Stopwatch.GetTimestamp(), MaxSleepTicks);
            if (left > 0)
            {
                Sleep(left);
            }
        }
    }

    private static void Sleep(long ticks)
    {
        var microseconds = (uint)Math.Max(1, ticks * 1_000_000 / Stopwatch.Frequency);
        if (OperatingSystem.IsLinux())
        {
            _ = USleep(microseconds);
        }
        else
        {
            Thread.Sleep(TimeSpan.FromMicroseconds(microseconds));
        }
    }

    [DllImport("libc", EntryPoint = "usleep")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int USleep(uint microseconds);
}
