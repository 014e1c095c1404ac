using Microsoft.Extensions.Logging;
using XRay.Sdk.Diagnostics;

namespace XRay.Sdk.Processing;

/// <summary>
/// Background workers that take recorded items off the lock-free queue and process them (serialize,
/// batch, spool), so the caller's thread only ever enqueues. Workers are dedicated background threads,
/// as OpenTelemetry's exporter thread is: a busy SDK never occupies the application's thread pool.
/// A stop waits for them only as long as it is given: a worker stuck in an item (a user's getter that blocks)
/// is left to finish on its own; it drains the queue, then calls <c>exiting</c> and ends.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "StopAsync ends it within a budget and disposes _stop once its threads have ended; a dispose that waited for them could not be bounded. _wake is never disposed, on purpose (see StopAsync).")]
internal sealed class WorkerPool<T>
    where T : class
{
    private readonly BoundedQueue<T> _queue;
    private readonly Action<T> _process;
    private readonly Action _exiting;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _exited;
    private int _sleeping;
    private int _signaled;
    private int _busy;

    /// <param name="workers">How many threads.</param>
    /// <param name="capacity">How many items may wait; <see cref="TryPost"/> refuses more.</param>
    /// <param name="process">What a worker does with an item; it must not throw (a throw is logged as a bug).</param>
    /// <param name="exiting">Called on each worker's thread as it ends, after its last item: where a late item is handed on.</param>
    /// <param name="logger">Where failures go.</param>
    public WorkerPool(int workers, int capacity, Action<T> process, Action exiting, ILogger logger)
    {
        _queue = new BoundedQueue<T>(capacity);
        _process = process;
        _exiting = exiting;
        _logger = logger;
        _exited = new Task[workers];
        for (var i = 0; i < workers; i++)
        {
            var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _exited[i] = exited.Task;
            new Thread(() => Run(exited)) { IsBackground = true, Name = $"XRay.Sdk worker {i + 1}" }.Start();
        }
    }

    /// <summary>Items queued or being processed.</summary>
    public long Pending => _queue.Count + Volatile.Read(ref _busy);

    /// <summary>Workers processing an item now.</summary>
    public int Busy => Volatile.Read(ref _busy);

    /// <summary>Hot path: enqueue, and wake a worker only if one sleeps. <see langword="false"/> when full.</summary>
    public bool TryPost(T item)
    {
        if (!_queue.TryEnqueue(item))
        {
            return false;
        }

        // One release per sleep: bursts do not pile up semaphore counts.
        if (Volatile.Read(ref _sleeping) > 0 && Interlocked.Exchange(ref _signaled, 1) == 0)
        {
            _wake.Release();
        }

        return true;
    }

    /// <summary>Waits until everything posted so far is processed, or the deadline passes.</summary>
    public async Task<bool> WaitDrainedAsync(Func<bool> expired, TimeProvider time)
    {
        while (true)
        {
            // queue first, then busy: a worker marks itself busy before it dequeues
            if (_queue.Count == 0 && Volatile.Read(ref _busy) == 0)
            {
                return true;
            }

            if (expired())
            {
                return false;
            }

            if (Volatile.Read(ref _sleeping) > 0)
            {
                _wake.Release();
            }

            await Task.Delay(TimeSpan.FromMilliseconds(5), time).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Tells the workers to end once the queue is empty and waits for them while <paramref name="budget"/> lasts.
    /// <see langword="false"/> when some are still at work: they are background threads, and finish on their own.
    /// </summary>
    public async Task<bool> StopAsync(Budget budget)
    {
        var cancelled = _stop.CancelAsync();
        if (!await budget.WaitAsync(Task.WhenAll(cancelled, Task.WhenAll(_exited))).ConfigureAwait(false))
        {
            return false; // _stop stays undisposed: a worker still running reads its token
        }

        _stop.Dispose();
        // _wake is left undisposed on purpose: a late Release from another thread must not throw,
        // and a SemaphoreSlim whose wait handle was never asked for holds no OS resource.
        return true;
    }

    private void Run(TaskCompletionSource exited)
    {
        var stopping = _stop.Token; // taken while the source is alive: it is disposed only once every worker has ended
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                Drain();
                Interlocked.Increment(ref _sleeping);
                try
                {
                    if (_queue.Count == 0)
                    {
                        _wake.Wait(stopping);
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                finally
                {
                    Interlocked.Decrement(ref _sleeping);
                }

                Volatile.Write(ref _signaled, 0);
            }
        }
        finally
        {
            Exiting();
            exited.TrySetResult();
        }
    }

    private void Exiting()
    {
        try
        {
            _exiting();
        }
        catch (Exception e)
        {
            Log.LoopFailed(_logger, e); // a throw on a worker's own thread would end the process: never let one out
        }
    }

    private void Drain()
    {
        while (true)
        {
            Interlocked.Increment(ref _busy);
            try
            {
                if (!_queue.TryDequeue(out var item))
                {
                    return;
                }

                _process(item!);
            }
            catch (Exception e)
            {
                Log.LoopFailed(_logger, e); // _process counts its own failures; this is a bug guard
            }
            finally
            {
                Interlocked.Decrement(ref _busy);
            }
        }
    }
}
