using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using XRay.Grains.Options;

namespace XRay.Grains.Ingest;

/// <summary>
/// Dedicated threads at a lower CPU and I/O priority for the consumer's bulk work: parsing batches read from the log,
/// the store's transactions and its syncs. An ingest request waits for the log's fsync and then for a core; when
/// a 10 ms store transaction and a batch parse hold both cores at normal priority, that request waits behind them.
/// At a lower priority the kernel runs the request first. Nothing is starved for long: when requests wait for the
/// consumer (admission control), the cores are idle and these threads run.
/// </summary>
/// <remarks>
/// <para>
/// Linux only (<c>setpriority</c> on the thread, <c>sched_setscheduler</c> to <c>SCHED_IDLE</c>, and <c>ioprio_set</c>
/// to the lowest best-effort level: the idle I/O class could starve the store's syncs behind a steady stream of log
/// fsyncs under BFQ). Elsewhere, or when the kernel refuses, the threads keep normal priority and the work still runs
/// here. Lowering one's own priority needs no privilege; a process already above the configured nice value keeps its own.
/// </para>
/// <para>
/// <c>SCHED_IDLE</c> (<see cref="IngestConsumerOptions.BackgroundIdleScheduling"/>, off by default) because a nice value
/// alone lets a running nice-10 thread finish its slice before a woken request thread gets the core; at half the
/// maximum rate that was a millisecond or two of the ACK's p99. Under <c>SCHED_IDLE</c> a waking normal thread preempts
/// at once, but the threads then run only on time nobody else wants: beside CPU-bound neighbours they starve, one holding
/// the store's write lock stalls the consumer, and acknowledged events stop becoming queryable (docs/benchmarks.md).
/// </para>
/// <para>
/// A new Linux thread inherits the priority of the thread that creates it, and the thread pool may create a worker
/// on whichever thread queues work to it. So these threads never complete a caller's task themselves: a relay thread
/// at normal priority does, and the continuations it queues can only ever start normal-priority pool threads.
/// </para>
/// </remarks>
public sealed partial class BackgroundWork : IDisposable
{
    private const int PrioProcess = 0;
    private const int SchedIdle = 5;
    private const int IoprioWhoProcess = 1;
    private const int IoprioClassBestEffort = 2;
    private const int IoprioLowestLevel = 7;
    private const int IoprioClassShift = 13;

    [ThreadStatic]
    private static bool _onBackgroundThread;

    private readonly BlockingCollection<Action> _work = [];
    private readonly BlockingCollection<Action> _completions = [];
    private readonly Thread[] _threads;
    private readonly Thread _relay;
    private readonly ILogger _logger;
    private readonly int _nice;
    private readonly bool _idleScheduling;

    public BackgroundWork(IOptions<IngestConsumerOptions> options, ILogger<BackgroundWork> logger)
    {
        _logger = logger;
        _nice = options.Value.BackgroundNice;
        _idleScheduling = options.Value.BackgroundIdleScheduling;
        _relay = new Thread(Relay) { IsBackground = true, Name = "xray-bg-relay" };
        _relay.Start();
        _threads = new Thread[Math.Max(1, options.Value.BackgroundThreads)];
        for (var i = 0; i < _threads.Length; i++)
        {
            _threads[i] = new Thread(Loop) { IsBackground = true, Name = $"xray-background-{i}" };
            _threads[i].Start();
        }
    }

    /// <summary>True on one of these threads: blocking work (an fsync) may run inline here instead of on the pool.</summary>
    public static bool IsCurrentThread => _onBackgroundThread;

    /// <summary>Runs <paramref name="work"/> on a background thread; the caller continues on the thread pool.</summary>
    public Task<T> Run<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Queue(() =>
        {
            try
            {
                var result = work();
                Complete(() => done.TrySetResult(result));
            }
            catch (Exception ex)
            {
                Complete(() => done.TrySetException(ex));
            }
        });
        return done.Task;
    }

    /// <summary>Starts <paramref name="work"/> on a background thread (its synchronous part runs there); the caller continues on the thread pool.</summary>
    public Task Run(Func<Task> work)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Queue(() =>
        {
            try
            {
                work().ContinueWith(
                    task => Complete(() =>
                    {
                        if (task.Exception is { } ex)
                        {
                            done.TrySetException(ex.InnerExceptions);
                        }
                        else if (task.IsCanceled)
                        {
                            done.TrySetCanceled();
                        }
                        else
                        {
                            done.TrySetResult();
                        }
                    }),
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
            catch (Exception ex)
            {
                Complete(() => done.TrySetException(ex));
            }
        });
        return done.Task;
    }

    public void Dispose()
    {
        _work.CompleteAdding();
        foreach (var thread in _threads)
        {
            thread.Join();
        }

        _completions.CompleteAdding();
        _relay.Join();
        _work.Dispose();
        _completions.Dispose();
    }

    private void Queue(Action work)
    {
        if (!TryAdd(_work, work))
        {
            work(); // stopped: run it here rather than leave the caller waiting forever
        }
    }

    private void Complete(Action completion)
    {
        if (!TryAdd(_completions, completion))
        {
            completion();
        }
    }

    private static bool TryAdd(BlockingCollection<Action> queue, Action item)
    {
        try
        {
            queue.Add(item);
            return true;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            return false;
        }
    }

    private void Loop()
    {
        _onBackgroundThread = true;
        LowerPriority();
        foreach (var work in _work.GetConsumingEnumerable())
        {
            work();
        }
    }

    private void Relay()
    {
        foreach (var completion in _completions.GetConsumingEnumerable())
        {
            completion();
        }
    }

    private void LowerPriority()
    {
        if (_nice == 0 || !OperatingSystem.IsLinux())
        {
            return;
        }

        var (gettid, ioprioSet) = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => (186L, 251L),
            Architecture.Arm64 => (178L, 30L),
            _ => (0L, 0L),
        };
        if (gettid == 0)
        {
            return;
        }

        try
        {
            var tid = (nint)Syscall(gettid, 0, 0, 0);
            if (SetPriority(PrioProcess, (int)tid, _nice) != 0)
            {
                // EACCES: the process already runs above this nice value; the thread keeps it.
                LogPriorityRefused(_logger, "setpriority", Marshal.GetLastPInvokeError());
            }

            var noPriority = 0; // struct sched_param { int sched_priority; }: 0 for SCHED_IDLE
            if (_idleScheduling && SchedSetScheduler((int)tid, SchedIdle, ref noPriority) != 0)
            {
                LogPriorityRefused(_logger, "sched_setscheduler", Marshal.GetLastPInvokeError());
            }

            if (Syscall(ioprioSet, IoprioWhoProcess, tid, (IoprioClassBestEffort << IoprioClassShift) | IoprioLowestLevel) != 0)
            {
                LogPriorityRefused(_logger, "ioprio_set", Marshal.GetLastPInvokeError());
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            LogPriorityRefused(_logger, ex.GetType().Name, -1);
        }
    }

    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetPriority(int which, int who, int priority);

    [DllImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SchedSetScheduler(int pid, int policy, ref int param);

    // syscall(2) is variadic and reads long arguments: pass them as nint.
    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern long Syscall(long number, nint arg1, nint arg2, nint arg3);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not lower the priority of an ingest background thread ({Call} failed, errno {Errno}); it keeps its priority.")]
    private static partial void LogPriorityRefused(ILogger logger, string call, int errno);
}
