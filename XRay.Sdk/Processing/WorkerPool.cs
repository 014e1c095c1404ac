using Microsoft.Extensions.Logging;
using XRay.Sdk.Diagnostics;

namespace XRay.Sdk.Processing;

/// <summary>
/// Background workers that take recorded items off the lock-free queue and process them (serialize,
/// batch, spool), so the caller's thread only ever enqueues. Workers are dedicated background threads,
/// as OpenTelemetry's exporter thread is: a busy SDK never occupies the application's thread pool.
/// A stop waits for them only as long as it is given: a worker stuck in an item (a user's getter that blocks)
/// is left to finish on its own; it drains the queue, then calls <c>exiting</c> and ends.
/// An item that a racing <see cref="TryPost"/> puts in the queue as the workers end is never stranded: the last worker
/// to end closes the pool and takes what is left; an item posted after that is handed to <c>abandoned</c> on the
/// poster's thread (see <see cref="TryPost"/>).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "StopAsync ends it within a budget and disposes _stop once its threads have ended; a dispose that waited for them could not be bounded. _wake is never disposed, on purpose (see StopAsync).")]
internal sealed class WorkerPool<T>
    where T : class
{
    private readonly BoundedQueue<T> _queue;
    private readonly Action<T> _process;
    private readonly Action<T> _abandoned;
    private readonly Action _exiting;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _exited;
    private int _sleeping;
    private int _signaled;
    private int _busy;
    private int _live;
    private int _closed;

    /// <param name="workers">How many threads.</param>
    /// <param name="capacity">How many items may wait; <see cref="TryPost"/> refuses more.</param>
    /// <param name="process">What a worker does with an item; it must not throw (a throw is logged as a bug).</param>
    /// <param name="abandoned">
    /// What becomes of an item posted once every worker has ended, on the poster's thread: it must be cheap and do no I/O
    /// (count it as dropped).
    /// </param>
    /// <param name="exiting">Called on each worker's thread as it ends, after its last item: where a late item is handed on.</param>
    /// <param name="logger">Where failures go.</param>
    public WorkerPool(int workers, int capacity, Action<T> process, Action<T> abandoned, Action exiting, ILogger logger)
    {
        _queue = new BoundedQueue<T>(capacity);
        _process = process;
        _abandoned = abandoned;
        _exiting = exiting;
        _live = workers;
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

    /// <summary>
    /// Hot path: enqueue, and wake a worker only if one sleeps. <see langword="false"/> when full. Once every worker has
    /// ended (the pool is closed) what is enqueued goes to <c>abandoned</c> instead, here: the poster checked the
    /// caller's stop flag before the workers ended and enqueued after the last one took what was left.
    /// </summary>
    public bool TryPost(T item)
    {
        if (!_queue.TryEnqueue(item))
        {
            return false;
        }

        // read after the enqueue (a full fence): the closing worker either sees this item or this poster sees it closed
        if (Volatile.Read(ref _closed) != 0)
        {
            TakeLeft(_abandoned);
            return true;
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
            if (Interlocked.Decrement(ref _live) == 0)
            {
                // the last worker: from now on a poster takes care of what it enqueues, and this one takes what is left
                Interlocked.Exchange(ref _closed, 1);
                TakeLeft(_process);
            }

            Exiting();
            exited.TrySetResult();
        }
    }

    /// <summary>
    /// Hands every item left in the queue to <paramref name="take"/> until the queue is seen empty, waiting out an item
    /// whose enqueue has begun but not finished (its slot taken, not yet written), so that none is left behind by all.
    /// </summary>
    private void TakeLeft(Action<T> take)
    {
        var spin = default(SpinWait);
        while (_queue.Count > 0)
        {
            if (!_queue.TryDequeue(out var item))
            {
                spin.SpinOnce(sleep1Threshold: -1); // another thread is between its slot and its write: a few instructions
                continue;
            }

            try
            {
                take(item!);
            }
            catch (Exception e)
            {
                Log.LoopFailed(_logger, e); // both callbacks count their own failures; this is a bug guard
            }
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
