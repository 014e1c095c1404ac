namespace XRay.Sdk.Processing;

/// <summary>
/// Collects serialized events and hands them on as a batch when it holds <c>maxBatchSize</c> events,
/// when it nears the gateway's body limit, or when the interval has passed since its first event.
/// The timer only runs while a batch is open, so an idle tracer costs nothing. Once disposed, the timer is gone:
/// an event added later (by a worker that finished it after the tracer stopped) waits for a full batch or a
/// <see cref="Flush"/>, which the worker calls on its way out.
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
    private List<byte[]> _batch = [];
    private long _bytes;
    private bool _timerRunning;
    private bool _disposed;
    private int _inHand;

    public BatchQueue(int maxBatchSize, TimeSpan interval, Action<List<byte[]>> flush, TimeProvider time)
    {
        _maxBatchSize = maxBatchSize;
        _interval = interval;
        _flush = flush;
        _timer = time.CreateTimer(_ => Flush(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
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

    /// <summary>Stops the timer for good and hands on whatever is open (see the class remarks for what comes later).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            StopTimerLocked();
            _disposed = true; // under the lock: no Add arms the timer once it is disposed below
        }

        _timer.Dispose();
        Flush();
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
