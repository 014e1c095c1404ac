namespace XRay.Sdk.Processing;

/// <summary>
/// Collects serialized events and hands them on as a batch when it holds <c>maxBatchSize</c> events,
/// when it nears the gateway's body limit, or when the interval has passed since its first event.
/// The timer only runs while a batch is open, so an idle tracer costs nothing. Once disposed, the timer is gone:
/// an event added later (by a worker that finished it after the tracer stopped) waits for a full batch or a
/// <see cref="Flush"/>, which the worker calls on its way out. While the spool is still opening (<c>ready</c>), the
/// timer and <see cref="Dispose"/> leave the batch open and hand it on once it opens: they run on the thread pool, and
/// waiting there would hold a pool thread per tick until then (a hung disk: for good). A worker that fills the batch
/// hands it on itself and waits, which holds the queue, and so memory, to its bounds.
/// </summary>
internal sealed class BatchQueue : IDisposable
{
    /// <summary>Kept under the gateway's default 5 MiB <c>Ingest:MaxBodyBytes</c>, leaving room for the envelope.</summary>
    public const int MaxBatchBytes = 4 * 1024 * 1024;

    private readonly Lock _gate = new();
    private readonly int _maxBatchSize;
    private readonly TimeSpan _interval;
    private readonly Action<List<byte[]>> _flush;
    private readonly ITimer _timer;
    private readonly Task _ready;
    private List<byte[]> _batch = [];
    private long _bytes;
    private bool _timerRunning;
    private bool _disposed;
    private int _inHand;
    private int _deferred;

    /// <param name="maxBatchSize">A batch is handed on as soon as it holds this many events.</param>
    /// <param name="interval">... or this long after its first event.</param>
    /// <param name="flush">Hands a batch on (spools it).</param>
    /// <param name="time">The timer's clock.</param>
    /// <param name="ready">Completes when <paramref name="flush"/> can run without waiting (the spool is open); <see langword="null"/>: now.</param>
    public BatchQueue(int maxBatchSize, TimeSpan interval, Action<List<byte[]>> flush, TimeProvider time, Task? ready = null)
    {
        _maxBatchSize = maxBatchSize;
        _interval = interval;
        _flush = flush;
        _ready = ready ?? Task.CompletedTask;
        _timer = time.CreateTimer(_ => FlushWhenReady(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Whether the interval timer is armed (a batch is open).</summary>
    public bool TimerRunning
    {
        get
        {
            lock (_gate)
            {
                return _timerRunning;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _batch.Count;
            }
        }
    }

    public void Add(byte[] serializedEvent)
    {
        List<byte[]>? previous = null;
        List<byte[]>? current = null;
        lock (_gate)
        {
            if (_bytes + serializedEvent.Length > MaxBatchBytes && _batch.Count > 0)
            {
                previous = TakeLocked(); // the new event would push the body past the limit
            }

            _batch.Add(serializedEvent);
            _bytes += serializedEvent.Length;
            if (_batch.Count >= _maxBatchSize)
            {
                current = TakeLocked();
            }
            else if (!_timerRunning && !_disposed)
            {
                _timerRunning = true;
                _timer.Change(_interval, Timeout.InfiniteTimeSpan);
            }
        }

        // outside the lock: handing on writes to the spool
        if (previous is not null)
        {
            HandOn(previous);
        }

        if (current is not null)
        {
            HandOn(current);
        }
    }

    /// <summary>
    /// Batches taken from the queue and not yet handed on (being written to the spool). A flush that found the queue
    /// empty waits for these too: the timer's thread may have taken the last batch a moment before.
    /// </summary>
    public int InHand => Volatile.Read(ref _inHand);

    /// <summary>Hands on whatever is open now.</summary>
    public void Flush()
    {
        List<byte[]>? batch;
        lock (_gate)
        {
            batch = _batch.Count > 0 ? TakeLocked() : null;
            StopTimerLocked();
        }

        if (batch is not null)
        {
            HandOn(batch);
        }
    }

    /// <summary>Stops the timer for good and hands on whatever is open, now or once the spool opens (see the class remarks).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            StopTimerLocked();
            _disposed = true; // under the lock: no Add arms the timer once it is disposed below
        }

        _timer.Dispose();
        FlushWhenReady();
    }

    /// <summary>
    /// <see cref="Flush"/> now, or once the spool opens. Until then the timer stays marked as running, so no later event
    /// arms it again: one continuation hands on whatever is open at that moment.
    /// </summary>
    private void FlushWhenReady()
    {
        if (_ready.IsCompleted)
        {
            Flush();
        }
        else if (Interlocked.Exchange(ref _deferred, 1) == 0)
        {
            _ = _ready.ContinueWith(_ => Flush(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    private void HandOn(List<byte[]> batch)
    {
        try
        {
            _flush(batch);
        }
        finally
        {
            Interlocked.Decrement(ref _inHand);
        }
    }

    private List<byte[]> TakeLocked()
    {
        Interlocked.Increment(ref _inHand); // under the lock, before the batch leaves the queue
        var batch = _batch;
        _batch = [];
        _bytes = 0;
        StopTimerLocked();
        return batch;
    }

    private void StopTimerLocked()
    {
        if (_timerRunning)
        {
            _timerRunning = false;
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }
}
