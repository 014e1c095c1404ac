using Microsoft.Extensions.Logging;
using XRay.Sdk.Diagnostics;

namespace XRay.Sdk.Processing;

/// <summary>
/// Background workers that take recorded items off the lock-free queue and process them (serialize,
/// batch, spool), so the caller's thread only ever enqueues. Workers are dedicated background threads,
/// as OpenTelemetry's exporter thread is: a busy SDK never occupies the application's thread pool.
/// </summary>
internal sealed class WorkerPool<T> : IAsyncDisposable
    where T : class
{
    private readonly BoundedQueue<T> _queue;
    private readonly Action<T> _process;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _exited;
    private int _sleeping;
    private int _signaled;
    private int _busy;

    public WorkerPool(int workers, int capacity, Action<T> process, ILogger logger)
    {
        _queue = new BoundedQueue<T>(capacity);
        _process = process;
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

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_exited).ConfigureAwait(false);
        _stop.Dispose();
        // _wake is left undisposed on purpose: a late Release from another thread must not throw,
        // and a SemaphoreSlim whose wait handle was never asked for holds no OS resource.
    }

    private void Run(TaskCompletionSource exited)
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                Drain();
                Interlocked.Increment(ref _sleeping);
                try
                {
                    if (_queue.Count == 0)
                    {
                        _wake.Wait(_stop.Token);
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
            exited.TrySetResult();
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
