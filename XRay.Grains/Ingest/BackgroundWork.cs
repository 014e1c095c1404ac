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
/// At a lower priority the kernel runs the request first, and the store's flushes queue behind the log's fsync on
/// the disk (the I/O scheduler serves the idle class last). Nothing is starved for long: when requests wait for the
/// consumer (admission control), the cores are idle and these threads run.
/// </summary>
/// <remarks>
/// Linux only (<c>setpriority</c> on the thread, <c>ioprio_set</c> with the idle class); elsewhere, or when the
/// kernel refuses, the threads keep normal priority and the work still runs here. Lowering one's own priority needs
/// no privilege.
/// </remarks>
public sealed partial class BackgroundWork : IDisposable
{
    private const int PrioProcess = 0;
    private const int IoprioWhoProcess = 1;
    private const int IoprioClassIdle = 3;
    private const int IoprioClassShift = 13;

    [ThreadStatic]
    private static bool _onBackgroundThread;

    private readonly BlockingCollection<Action> _work = [];
    private readonly Thread[] _threads;
    private readonly ILogger _logger;
    private readonly int _nice;

    public BackgroundWork(IOptions<IngestConsumerOptions> options, ILogger<BackgroundWork> logger)
    {
        _logger = logger;
        _nice = options.Value.BackgroundNice;
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
                done.TrySetResult(work());
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
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
                    static (task, state) =>
                    {
                        var done = (TaskCompletionSource)state!;
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
                    },
                    done,
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
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

        _work.Dispose();
    }

    private void Queue(Action work)
    {
        try
        {
            _work.Add(work);
            return;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            // Stopped: run it here rather than leave the caller waiting forever.
        }

        work();
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

    private void LowerPriority()
    {
        if (_nice == 0 || !OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            var tid = GetTid();
            var failed = SetPriority(PrioProcess, tid, _nice) != 0;
            var ioprioSet = RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => 251L,
                Architecture.Arm64 => 30L,
                _ => 0L,
            };
            if (ioprioSet != 0)
            {
                failed |= Syscall(ioprioSet, IoprioWhoProcess, tid, IoprioClassIdle << IoprioClassShift) != 0;
            }

            if (failed)
            {
                LogPriorityRefused(_logger, Marshal.GetLastPInvokeError());
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            LogPriorityRefused(_logger, -1);
        }
    }

    [DllImport("libc", EntryPoint = "gettid")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetTid();

    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetPriority(int which, int who, int priority);

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern long Syscall(long number, int which, int who, int ioprio);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not lower the priority of the ingest background threads (errno {Errno}); they run at normal priority.")]
    private static partial void LogPriorityRefused(ILogger logger, int errno);
}
