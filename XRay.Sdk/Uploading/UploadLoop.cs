using Microsoft.Extensions.Logging;
using XRay.Sdk.Diagnostics;
using XRay.Sdk.Http;
using XRay.Sdk.Processing;
using XRay.Sdk.Storage;

namespace XRay.Sdk.Uploading;

/// <summary>
/// A background loop that sends spool entries of one kind, oldest first, one at a time. It sleeps until
/// woken by a new entry (or by the start-up scan) and deletes an entry only once it is delivered, refused, given up
/// after repeated server errors, or spooled again in parts. A stop waits for it only as long as it is given. A loop still busy then (an attempt
/// that does not end when cancelled, a slow disk) ends on its own: the attempt it is in counts as usual
/// (delivered, split, or left in the spool), and it starts no other. What it leaves stays on disk for the next
/// process; what it leaves in memory (a memory spool, or entries a disk spool had to keep there, see
/// <see cref="FallbackStorage"/>), which dies with the process, is counted as dropped, and so is an entry that lands in
/// memory after the stop.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "StopAsync ends it within a budget and disposes _stop once the loop has ended; a dispose that waited for it could not be bounded. _wake is never disposed, on purpose (see StopAsync).")]
internal abstract class UploadLoop
{
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _stopping = new();
    private readonly string _prefix;
    private Task _loop = Task.CompletedTask;
    private bool _stopped;
    private int _signaled;
    private volatile string? _current;

    protected UploadLoop(IStorageAdapter storage, string prefix, ILogger logger)
    {
        Storage = storage;
        Logger = logger;
        _prefix = prefix;
    }

    protected IStorageAdapter Storage { get; }

    protected ILogger Logger { get; }

    /// <summary>Entries of this kind still in the spool (sent ones are deleted).</summary>
    public int Pending => Storage.List(_prefix).Count;

    /// <summary>The entry being sent now, for logs.</summary>
    public string? Current => _current;

    /// <summary>Starts the loop; it waits for <paramref name="ready"/> (the spool opening) before its first pass, holding no thread.</summary>
    public void Start(Task ready)
    {
        _loop = Task.Run(() => RunAsync(ready));
        Wake();
    }

    public void Wake()
    {
        if (Interlocked.Exchange(ref _signaled, 1) == 0)
        {
            _wake.Release();
        }
    }

    /// <summary>
    /// Cancels the loop (an attempt under way, a retry delay) and waits for it while <paramref name="budget"/> lasts.
    /// <see langword="false"/> when it is still busy: it ends on its own.
    /// </summary>
    public async Task<bool> StopAsync(Budget budget)
    {
        lock (_stopping)
        {
            _stopped = true; // see Spool: from now on a memory spool takes nothing more
        }

        var cancelled = _stop.CancelAsync();
        if (!await budget.WaitAsync(Task.WhenAll(cancelled, _loop)).ConfigureAwait(false))
        {
            return false; // _stop stays undisposed: the loop still running reads its token
        }

        _stop.Dispose();
        // _wake is left undisposed on purpose: a late Release from another thread must not throw,
        // and a SemaphoreSlim whose wait handle was never asked for holds no OS resource.
        return true;
    }

    /// <summary>Writes an entry to the spool and wakes the loop; an entry that cannot be written is counted as dropped.</summary>
    protected void Spool(string key, byte[] data)
    {
        if (Storage.IsDurable)
        {
            SpoolCore(key, data); // after a stop too: it waits on disk for the next process
            if (Stopped && Storage.IsInMemory(key) && Storage.Delete(key))
            {
                // the disk refused it and it was kept in memory, which nothing sends any more; deleted here or by the
                // stopped loop as it ends (DropWhatIsLeft), whichever comes second finds it gone: counted once
                CountDropped(key, "it was finished after the tracer stopped, and the disk could not take it");
            }

            return;
        }

        // A memory spool dies with the process: the stopped loop counts what it leaves there (RunAsync), and what comes
        // after the stop is counted here. The lock puts every write before the stop (and so in that count) or after it.
        lock (_stopping)
        {
            if (!_stopped)
            {
                SpoolCore(key, data);
                return;
            }
        }

        CountDropped(key, "it was finished after the tracer stopped, and the spool is in memory");
    }

    /// <summary>Read under the lock, so after the entry's write: either this sees the stop or the loop's last listing sees the entry.</summary>
    private bool Stopped
    {
        get
        {
            lock (_stopping)
            {
                return _stopped;
            }
        }
    }

    private void SpoolCore(string key, byte[] data)
    {
        if (TryStore(key, data))
        {
            OnSpooled(key);
            Wake();
        }
    }

    /// <summary>
    /// Writes an entry to the spool without counting it as spooled (what it holds was counted when it was first
    /// spooled) and without waking the loop; an entry that cannot be written is counted as dropped. Only the loop
    /// calls it (a split), so it needs no check for a stop: the loop counts what it leaves in a memory spool as it ends.
    /// </summary>
    protected bool TryStore(string key, byte[] data)
    {
        bool written;
        try
        {
            written = Storage.TryWrite(key, data);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // any failure, not only I/O: this runs on the batch timer's thread too, where an escaping exception ends the process
            Log.SpoolError(Logger, key, e);
            written = false;
        }

        if (!written)
        {
            CountDropped(key, "it could not be written to the spool");
        }

        return written;
    }

    /// <summary>Called after an entry is spooled, before the loop is woken.</summary>
    protected virtual void OnSpooled(string key)
    {
    }

    /// <summary>Sends one entry (with retries); returns when it may be deleted.</summary>
    protected abstract Task SendAsync(string key, byte[] data, CancellationToken cancellationToken);

    /// <summary>Counts an entry that will never be delivered.</summary>
    protected abstract void CountDropped(string key, string reason);

    /// <summary>
    /// Drops and counts an entry the policy ended without delivering: refused, its upload refused by the blob store to
    /// every fresh URL, or given up after too many server errors (the policy logged that).
    /// </summary>
    protected void DropUndelivered(string key, Delivery delivery)
    {
        switch (delivery.Outcome)
        {
            case DeliveryOutcome.Refused:
                Log.Refused(Logger, key, delivery.Status, delivery.Detail);
                CountDropped(key, $"the gateway refused it with {delivery.Status}");
                break;
            case DeliveryOutcome.UploadRefused:
                Log.UploadRefused(Logger, key, DeliveryPolicy.MaxUploadRefusals, delivery.Status, delivery.Detail);
                CountDropped(key, $"the blob store refused its upload with {delivery.Status}, {DeliveryPolicy.MaxUploadRefusals} times to a fresh URL");
                break;
            default:
                CountDropped(key, $"the server kept failing on it ({delivery.Status})");
                break;
        }
    }

    private byte[]? ReadOrDrop(string key)
    {
        try
        {
            return Storage.Read(key);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.SpoolError(Logger, key, e);
            CountDropped(key, "spool entry unreadable");
            return null;
        }
    }

    private async Task RunAsync(Task ready)
    {
        var token = _stop.Token; // taken while the source is alive: it is disposed only once this loop has ended
        try
        {
            await ready.WaitAsync(token).ConfigureAwait(false);
            await SendAllAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // stopped while the spool was still opening
        }
        finally
        {
            _current = null;
            if (ready.IsCompleted)
            {
                // Not before: the spool would be waited for, and nothing is in it yet (a write waits for the open, and
                // Spool counts one in memory after the stop itself).
                DropWhatIsLeft();
            }
        }
    }

    private async Task SendAllAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(token).ConfigureAwait(false);
                Volatile.Write(ref _signaled, 0);
                foreach (var key in Storage.List(_prefix))
                {
                    _current = key;
                    Storage.Lease(key);
                    if (ReadOrDrop(key) is { } data)
                    {
                        try
                        {
                            await SendAsync(key, data, token).ConfigureAwait(false);
                        }
                        catch (Exception e) when (!token.IsCancellationRequested)
                        {
                            // the delivery policy retries every failure a retry can fix; anything else (an answer
                            // the SDK cannot use) would fail the same way again and stall every entry behind it
                            Log.LoopFailed(Logger, e);
                            CountDropped(key, $"it could not be sent ({e.GetType().Name}: {e.Message})");
                        }
                    }

                    Storage.Delete(key);
                    _current = null;
                }
            }
            catch (Exception) when (token.IsCancellationRequested)
            {
                // stopping: the attempt was cut short, or failed after the stop (the HTTP client is disposed by then);
                // the entry stays in the spool, unsent
                return;
            }
            catch (Exception e)
            {
                Log.LoopFailed(Logger, e);
                Wake(); // retry the spool after a pause rather than leave it stranded
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Memory dies with the process: what the stopped loop leaves there (a memory spool, or what a disk spool had to keep
    /// in memory) is lost, so count it. What is on disk stays for the next process.
    /// </summary>
    private void DropWhatIsLeft()
    {
        foreach (var key in Storage.List(_prefix))
        {
            if (Storage.IsInMemory(key) && Storage.Delete(key))
            {
                CountDropped(key, "the tracer stopped with it in the memory spool");
            }
        }
    }
}
