using System.Text;
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
/// the two uploaders. The caller's thread only reaches <see cref="Post"/>.
/// </summary>
internal sealed class EventPipeline : IAsyncDisposable
{
    [ThreadStatic]
    private static EventWriter? t_writer;

    private readonly JsonSerializerOptions _json;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly SpoolStorage _storage;
    private readonly WorkerPool<PendingEvent> _workers;
    private readonly BatchQueue _batches;
    private readonly EventUploader _events;
    private readonly DataUploader _blobs;
    private volatile bool _stopped;

    public EventPipeline(XRayOptions options, TimeProvider time, Counters counters, ILogger logger, HttpMessageHandler? handler)
    {
        Time = time;
        Counters = counters;
        _logger = logger;
        _json = options.SerializerOptions ?? new JsonSerializerOptions(JsonSerializerDefaults.Web);
        _http = new HttpClient(handler ?? new SocketsHttpHandler { ConnectTimeout = options.RequestTimeout, PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
        {
            BaseAddress = new Uri(options.BaseUrl.TrimEnd('/') + "/"),
            Timeout = Timeout.InfiniteTimeSpan, // the delivery policy times each attempt
        };
        var api = new ApiClient(_http, options.ApiKey!);
        var policy = new DeliveryPolicy(options, time, counters, logger);

        _storage = StorageFactory.Open(options, key => LostEntries.Count(key, "the spool was full; oldest entry evicted", counters, logger), logger);
        _events = new EventUploader(_storage, api, policy, counters, logger);
        _blobs = new DataUploader(_storage, api, policy, counters, logger);
        _batches = new BatchQueue(options.MaxBatchSize, options.BatchInterval, _events.Spool, time);
        _workers = new WorkerPool<PendingEvent>(options.WorkerPoolSize, options.MaxQueueSize, Process, logger);

        Log.Started(logger, options.BaseUrl, _storage.IsDurable ? "disk" : "memory", _storage.Location, _events.Pending + _blobs.Pending);
        _events.Start();
        _blobs.Start();
        if (options.Debug)
        {
            _ = CheckKeyAsync(api);
        }
    }

    public TimeProvider Time { get; }

    public Counters Counters { get; }

    public IStorageAdapter Storage => _storage;

    /// <summary>Hot path: hand the event to the workers, or drop and count it if they are that far behind.</summary>
    public void Post(PendingEvent e)
    {
        if (!_stopped && _workers.TryPost(e))
        {
            return; // counted as recorded by the worker that takes it: one shared counter less on this path
        }

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

    /// <summary>Sends everything recorded so far, within <paramref name="timeout"/>; <see langword="true"/> when all of it went out.</summary>
    public Task<bool> FlushAsync(TimeSpan timeout) =>
        _stopped ? Task.FromResult(_storage.List("").Count == 0) : DrainAsync(timeout);

    public async ValueTask DisposeAsync(TimeSpan timeout)
    {
        _stopped = true; // from now on recording is a counted drop; what was recorded before is flushed
        await DrainAsync(timeout).ConfigureAwait(false);
        await _workers.DisposeAsync().ConfigureAwait(false);
        _batches.Flush(); // whatever the workers finished after the flush: spool it for the next process
        _batches.Dispose();
        await _events.DisposeAsync().ConfigureAwait(false);
        await _blobs.DisposeAsync().ConfigureAwait(false);
        _http.Dispose();
        if (!_storage.IsDurable)
        {
            // a memory spool dies with the process: what it still holds is lost, so count it
            foreach (var key in _storage.List(""))
            {
                LostEntries.Count(key, "the tracer stopped with it in the memory spool", Counters, _logger);
                _storage.Delete(key);
            }
        }
    }

    public ValueTask DisposeAsync() => DisposeAsync(TimeSpan.FromSeconds(5));

    // The flush spends one shrinking budget: first the workers drain, then the batch is spooled, then the uploaders send.
    private async Task<bool> DrainAsync(TimeSpan timeout)
    {
        var started = Time.GetTimestamp();
        bool Expired() => Time.GetElapsedTime(started) >= timeout;

        var drained = await _workers.WaitDrainedAsync(Expired, Time).ConfigureAwait(false);
        _batches.Flush();
        while (_batches.InHand + _events.Pending + _blobs.Pending > 0 && !Expired())
        {
            _events.Wake();
            _blobs.Wake();
            await Task.Delay(TimeSpan.FromMilliseconds(10), Time).ConfigureAwait(false);
        }

        var pending = _batches.InHand + _events.Pending + _blobs.Pending;
        Log.Flushed(_logger, drained && pending == 0, pending);
        return drained && pending == 0;
    }

    private void Process(PendingEvent e)
    {
        var writer = t_writer is { } w && w.SerializerOptions == _json ? w : t_writer = new EventWriter(_json);
        if (e.Type == EventType.Blob)
        {
            SpoolBlob(writer, e);
            return;
        }

        Counters.EventRecorded();
        byte[] json;
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

        if (json.Length > EventWriter.MaxEventBytes)
        {
            Counters.EventsDropped(1);
            Log.Dropped(_logger, 1, $"a {e.Type} event of {json.Length} bytes is over the gateway's {EventWriter.MaxEventBytes}; put large values in data blobs");
            return;
        }

        _batches.Add(json);
    }

    private void SpoolBlob(EventWriter writer, PendingEvent e)
    {
        byte[] data;
        try
        {
            data = e.Content switch
            {
                BlobContent.Text => Encoding.UTF8.GetBytes((string?)e.Input ?? ""),
                BlobContent.Binary => (byte[])e.Input!,
                _ => writer.WriteValue(e.Input),
            };
        }
        catch (Exception ex)
        {
            Log.SerializationFailed(_logger, $"data blob {e.DataId}", ex);
            Counters.BlobDropped();
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
