using System.Diagnostics;
using System.Runtime.InteropServices;

namespace XRay.LoadTest;

/// <summary>
/// Fires open-loop clients' schedules on time, to within about 0.2 ms, on its own thread. <c>Task.Delay</c> cannot:
/// .NET's timers run on the coarse monotonic clock (one kernel tick, 4 ms here), so its sends left up to 4.7 ms late
/// at p99 even on an idle machine. One thread sleeps with <c>usleep</c> (at most 0.5 ms at a time) and calls each
/// schedule's action itself when it is due, so a send leaves without waiting for another thread to be scheduled.
/// </summary>
internal sealed class Pacer : IDisposable
{
    private static readonly long MaxSleepTicks = Stopwatch.Frequency / 2000;

    private readonly PriorityQueue<Schedule, long> _due = new();
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;
    private volatile bool _stopped;

    /// <param name="schedules">Each fires <c>OnDue(due)</c> at First, First + Interval, ... before End.</param>
    /// <param name="prepareThread">Runs first on the pacer's thread (its priority).</param>
    public Pacer(IEnumerable<(long First, long Interval, long End, Action<long> OnDue)> schedules, Action prepareThread)
    {
        foreach (var (first, interval, end, onDue) in schedules)
        {
            if (first < end)
            {
                _due.Enqueue(new Schedule(interval, end, onDue), first);
            }
        }

        _thread = new Thread(() =>
        {
            prepareThread();
            Loop();
        })
        { IsBackground = true, Name = "load-pacer" };
        _thread.Start();
    }

    /// <summary>Completes when every schedule has reached its end.</summary>
    public Task Finished => _finished.Task;

    public void Dispose()
    {
        _stopped = true;
        _thread.Join();
    }

    private void Loop()
    {
        while (!_stopped)
        {
            if (!_due.TryPeek(out var schedule, out var due))
            {
                break;
            }

            var left = due - Stopwatch.GetTimestamp();
            if (left > 0)
            {
                Sleep(Math.Min(left, MaxSleepTicks));
                continue;
            }

            _due.Dequeue();
            if (due + schedule.Interval < schedule.End)
            {
                _due.Enqueue(schedule, due + schedule.Interval);
            }

            schedule.OnDue(due);
        }

        _finished.TrySetResult();
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

    private sealed record Schedule(long Interval, long End, Action<long> OnDue);
}
