using Microsoft.Extensions.Logging;
using XRay.Sdk.Diagnostics;
using XRay.Sdk.Storage;

namespace XRay.Sdk.Uploading;

/// <summary>
/// A background loop that sends spool entries of one kind, oldest first, one at a time. It sleeps until
/// woken by a new entry (or by the start-up scan) and deletes an entry only once it is delivered, refused, or
/// spooled again in parts.
/// </summary>
internal abstract class UploadLoop : IAsyncDisposable
{
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly string _prefix;
    private Task _loop = Task.CompletedTask;
    private int _signaled;

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

    public void Start()
    {
        _loop = Task.Run(RunAsync);
        Wake();
    }

    public void Wake()
    {
        if (Interlocked.Exchange(ref _signaled, 1) == 0)
        {
            _wake.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
        // _wake is left undisposed on purpose: a late Release from another thread must not throw,
        // and a SemaphoreSlim whose wait handle was never asked for holds no OS resource.
        GC.SuppressFinalize(this);
    }

    /// <summary>Writes an entry to the spool and wakes the loop; an entry that cannot be written is counted as dropped.</summary>
    protected void Spool(string key, byte[] data)
    {
        if (!TryStore(key, data))
        {
            return;
        }

        OnSpooled(key);
        Wake();
    }

    /// <summary>
    /// Writes an entry to the spool without counting it as spooled (what it holds was counted when it was first
    /// spooled) and without waking the loop; an entry that cannot be written is counted as dropped.
    /// </summary>
    protected bool TryStore(string key, byte[] data)
    {
        bool written;
        try
        {
            written = Storage.TryWrite(key, data);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
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

    private async Task RunAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(token).ConfigureAwait(false);
                Volatile.Write(ref _signaled, 0);
                foreach (var key in Storage.List(_prefix))
                {
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
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return; // stopping: unsent entries stay in the spool for the next process
            }
            catch (Exception e)
            {
                Log.LoopFailed(Logger, e);
                Wake(); // retry the spool after a pause rather than leave it stranded
                await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None).ConfigureAwait(false);
            }
        }
    }
}
