using System.Text.Json;
using Microsoft.Extensions.Logging;
using XRay.Sdk.Diagnostics;
using XRay.Sdk.Events;
using XRay.Sdk.Http;
using XRay.Sdk.Storage;
using XRay.Sdk.Uploading;

namespace XRay.Sdk.Processing;

/// <summary>
/// Everything behind an enabled tracer: the worker pool that serializes, the batch queue, the spool and
/// the two uploaders. The caller's thread only reaches <see cref="Post"/>, and the stats and flush, which never wait for
/// the spool: it is opened on the thread pool (<see cref="OpeningStorage"/>), and until then they answer without it.
/// </summary>
internal sealed class EventPipeline : IAsyncDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    [ThreadStatic]
    private static EventWriter? t_writer;

    private readonly JsonSerializerOptions _json;
    private readonly int _maxBlobBytes;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly OpeningStorage _storage;
    private readonly string _spoolDirectory;
    private readonly WorkerPool<PendingEvent> _workers;
    private readonly BatchQueue _batches;
    private readonly EventUploader _events;
    private readonly DataUploader _blobs;
    private volatile bool _stopped;

    public EventPipeline(XRayOptions options, TimeProvider time, Counters counters, ILogger logger, HttpMessageHandler? handler, StorageOpener? openStorage = null)
    {
        Time = time;
        Counters = counters;
        _logger = logger;
        _json = options.SerializerOptions ?? new JsonSerializerOptions(JsonSerializerDefaults.Web);
        _maxBlobBytes = (int)options.MaxBlobSize; // validated: at most Array.MaxLength
        _http = new HttpClient(handler ?? new SocketsHttpHandler { ConnectTimeout = options.RequestTimeout, PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
        {
            BaseAddress = new Uri(options.BaseUrl.TrimEnd('/') + "/"),
            Timeout = Timeout.InfiniteTimeSpan, // the delivery policy times each attempt
        };
        var api = new ApiClient(_http, options.ApiKey!);
        var policy = new DeliveryPolicy(options, time, counters, logger);

        var open = openStorage ?? StorageFactory.Open;
        _spoolDirectory = options.ResolveTempDir();
        _storage = new OpeningStorage(() =>
        {
            var storage = open(options, key => LostEntries.Count(key, "the spool was full; oldest entry evicted", counters, logger), logger);
            Log.Started(logger, options.BaseUrl, storage.IsDurable ? "disk" : "memory", storage.Location, storage.Count); // before the uploaders take any
            return storage;
        });
        _events = new EventUploader(_storage, api, policy, counters, logger);
        _blobs = new DataUploader(_storage, api, policy, counters, logger);
        _batches = new BatchQueue(options.MaxBatchSize, options.BatchInterval, _events.Spool, time, _storage.Opened);
        _workers = new WorkerPool<PendingEvent>(options.WorkerPoolSize, options.MaxQueueSize, Process, Drop, _batches.Flush, logger);

        _events.Start(_storage.Opened);
        _blobs.Start(_storage.Opened);
        if (options.Debug)
        {
            _ = CheckKeyAsync(api);
        }
    }

    public TimeProvider Time { get; }

    public Counters Counters { get; }

    /// <summary>Bytes in the spool; 0 while it is still opening.</summary>
    public long SpoolBytes => _storage.Current?.Size ?? 0;

    /// <summary>Whether a write now lands on disk; <see langword="false"/> while the spool is still opening.</summary>
    public bool SpoolIsDisk => _storage.Current?.WritesToDisk ?? false;

    /// <summary>Events and blobs waiting for a worker or being serialized.</summary>
    public long Queued => _workers.Pending;

    /// <summary>Batches and blobs in the spool; 0 while it is still opening.</summary>
    public int SpoolEntries => _storage.Current?.Count ?? 0;

    /// <summary>Hot path: hand the event to the workers, or drop and count it if they are that far behind.</summary>
    public void Post(PendingEvent e)
    {
        if (!_stopped && _workers.TryPost(e))
        {
            return; // counted as recorded by the worker that takes it (or, if the workers ended meanwhile, dropped there)
        }

        Drop(e);
    }

    /// <summary>Counts an event (or blob) no worker will take: the queue was full or the tracer stopped.</summary>
    private void Drop(PendingEvent e)
    {
        if (e.Type == EventType.Blob)
        {
            Counters.BlobDropped();
        }
        else
        {
            Counters.EventRecorded();
            Counters.EventsDropped(1);
        }
    }

    /// <summary>
    /// Sends everything recorded so far, within <paramref name="timeout"/>; <see langword="true"/> when all of it went out,
    /// <see langword="false"/> while the spool is still opening (what was recorded waits for it).
    /// </summary>
    public Task<bool> FlushAsync(TimeSpan timeout) =>
        _stopped ? Task.FromResult(_storage.Current?.List("").Count == 0) : DrainAsync(new Budget(timeout, Time));

    /// <summary>
    /// Flushes, then stops, all within one budget of <paramref name="timeout"/> that each step spends from: it returns
    /// when the budget is spent, whatever a worker or an uploader is doing. One still busy then (a worker stuck in a
    /// user's getter, an attempt that ignores cancellation, a slow disk) is a background thread or task and ends on its
    /// own; an event it finishes later is spooled on disk for the next process, or counted as dropped when the spool is
    /// in memory (see <see cref="BatchQueue"/>, <see cref="WorkerPool{T}"/>, <see cref="UploadLoop"/>).
    /// </summary>
    public async ValueTask DisposeAsync(TimeSpan timeout)
    {
        _stopped = true; // from now on recording is a counted drop; what was recorded before is flushed
        var budget = new Budget(timeout, Time);
        await DrainAsync(new Budget(timeout - StopReserve(timeout), Time)).ConfigureAwait(false);

        // The stops run side by side on what is left, so one that is stuck takes no time from the others. Their order
        // does not matter: each worker hands on the batch as it ends (WorkerPool's exiting callback), after its last
        // event; the last batch is spooled off this thread (a file write; or once the spool opens, see BatchQueue); an
        // uploader takes nothing more once stopped.
        var workers = _workers.StopAsync(budget);
        var batch = budget.WaitAsync(Task.Run(_batches.Dispose));
        var events = _events.StopAsync(budget);
        var blobs = _blobs.StopAsync(budget);
        if (!await workers.ConfigureAwait(false))
        {
            var detail = _storage.Current is null ? "waiting for the spool" : $"{_workers.Busy} still serializing an event";
            Log.ShutdownGaveUp(_logger, "the workers", detail, timeout);
        }

        if (!await batch.ConfigureAwait(false))
        {
            Log.ShutdownGaveUp(_logger, "the last batch", "its spool write", timeout);
        }

        if (!await events.ConfigureAwait(false))
        {
            Log.ShutdownGaveUp(_logger, "the event uploader", _events.Current ?? "stopping", timeout);
        }

        if (!await blobs.ConfigureAwait(false))
        {
            Log.ShutdownGaveUp(_logger, "the data uploader", _blobs.Current ?? "stopping", timeout);
        }

        if (_storage.Current is null)
        {
            Log.ShutdownGaveUp(_logger, "the spool", $"still opening {_spoolDirectory}", timeout); // a slow or hung disk
        }

        _http.Dispose(); // ends what an uploader still has in flight, if the handler lets it
    }

    public ValueTask DisposeAsync() => DisposeAsync(TimeSpan.FromSeconds(5));

    /// <summary>
    /// The end of a shutdown's budget that its drain leaves to the stops: a cancelled worker or uploader ends within
    /// milliseconds, and without this a drain that used everything (a gateway that is down) would leave no time to see
    /// it end, and report it as stuck.
    /// </summary>
    private static TimeSpan StopReserve(TimeSpan timeout) =>
        TimeSpan.FromTicks(Math.Min(timeout.Ticks / 10, TimeSpan.FromMilliseconds(500).Ticks));

    // The flush spends one shrinking budget: first the spool opens, then the workers drain, then the batch is spooled, then
    // the uploaders send. A spool still opening when the budget is spent holds what was recorded: nothing is sent before it.
    private async Task<bool> DrainAsync(Budget budget)
    {
        if (!await budget.WaitAsync(_storage.Opened).ConfigureAwait(false))
        {
            Log.FlushedBeforeOpen(_logger, _spoolDirectory);
            return false;
        }

        var drained = await _workers.WaitDrainedAsync(() => budget.Expired, Time).ConfigureAwait(false);
        var spooled = await budget.WaitAsync(Task.Run(_batches.Flush)).ConfigureAwait(false); // a file write: not on the caller's thread
        while (_batches.InHand + _events.Pending + _blobs.Pending > 0 && !budget.Expired)
        {
            _events.Wake();
            _blobs.Wake();
            var left = budget.Left;
            await Task.Delay(left < PollInterval ? left : PollInterval, Time).ConfigureAwait(false);
        }

        var pending = _batches.InHand + _events.Pending + _blobs.Pending;
        var complete = drained && spooled && pending == 0;
        Log.Flushed(_logger, complete, pending);
        return complete;
    }

    private void Process(PendingEvent e)
    {
        var writer = t_writer is { } w && w.SerializerOptions == _json && w.MaxBlobBytes == _maxBlobBytes
            ? w
            : t_writer = new EventWriter(_json, _maxBlobBytes);
        if (e.Type == EventType.Blob)
        {
            SpoolBlob(writer, e);
            return;
        }

        Counters.EventRecorded();
        byte[]? json;
        try
        {
            json = writer.Write(e);
        }
        catch (Exception ex)
        {
            Log.SerializationFailed(_logger, $"{e.Type} event of trace {e.TraceId}", ex);
            Counters.EventsDropped(1);
            return;
        }

        if (json is null)
        {
            // the writer stopped at the limit, so the event's full size is not known
            Counters.EventsDropped(1);
            Log.Dropped(_logger, 1, $"a {e.Type} event of more than {EventWriter.MaxEventBytes} bytes is over the gateway's {EventWriter.MaxEventBytes}; put large values in data blobs");
            return;
        }

        _batches.Add(json);
    }

    private void SpoolBlob(EventWriter writer, PendingEvent e)
    {
        byte[]? data;
        try
        {
            data = writer.WriteBlob(e.Input, e.Content);
        }
        catch (Exception ex)
        {
            Log.SerializationFailed(_logger, $"data blob {e.DataId}", ex);
            Counters.BlobDropped();
            return;
        }

        if (data is null)
        {
            // the writer stopped at the limit, so the blob's full size is not known
            Counters.BlobDropped();
            Log.BlobDropped(_logger, e.DataId.ToString(), $"it is over XRay:MaxBlobSize, {_maxBlobBytes} bytes");
            return;
        }

        _blobs.Spool(e.DataId, e.Content, e.TraceId, data);
    }

    private async Task CheckKeyAsync(ApiClient api)
    {
        try
        {
            var (delivery, key) = await api.CheckKeyAsync(CancellationToken.None).ConfigureAwait(false);
            if (key is not null)
            {
                Log.KeyChecked(_logger, key.ProjectId, key.KeyId);
            }
            else
            {
                Log.KeyCheckFailed(_logger, $"HTTP {delivery.Status} {delivery.Detail}");
            }
        }
        catch (Exception e)
        {
            Log.KeyCheckFailed(_logger, e.Message);
        }
    }
}
