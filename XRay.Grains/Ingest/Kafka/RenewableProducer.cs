using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using XRay.Grains.Options;
using ErrorCode = Confluent.Kafka.ErrorCode;

namespace XRay.Grains.Ingest.Kafka;

/// <summary>
/// The producer of <see cref="KafkaIngestLog"/>, replaced by a freshly built one after a fatal error: an idempotent
/// producer that lost track of its sequence numbers or was fenced fails every later produce. One replacement at a
/// time; the failed instance is flushed (bounded) and disposed on its own thread, never on the request path.
/// </summary>
internal sealed partial class RenewableProducer : IDisposable
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly KafkaIngestLogOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _gate = new();
    private Generation? _current;
    private Exception? _buildError;
    private TimeSpan _backoff;
    private long _buildFailedAt;
    private Task _retiring = Task.CompletedTask;
    private bool _disposed;

    /// <summary>Builds the first producer; a bad configuration throws here, as it did before producers were renewed.</summary>
    public RenewableProducer(KafkaIngestLogOptions options, ILogger logger, TimeProvider timeProvider)
    {
        _options = options;
        _logger = logger;
        _timeProvider = timeProvider;
        _current = new Generation(KafkaClients.CreateProducer(options, logger, OnError));
    }

    /// <summary>
    /// The producer to produce with. <see cref="IOException"/> when there is none: the last rebuild failed and the next
    /// attempt waits out a backoff (1 s, doubling to 30 s), so failing requests do not rebuild at their own rate.
    /// </summary>
    public Generation Current() => Volatile.Read(ref _current) ?? Rebuild();

    /// <summary>The error handler of every producer; also told by appends whose delivery reports failed fatally.</summary>
    public void OnError(IProducer<Null, byte[]> client, Error error)
    {
        if (!IsFatal(error))
        {
            return; // librdkafka retries transient trouble (a broker down) by itself
        }

        lock (_gate)
        {
            // A late report of an instance already replaced, or of the one being disposed, changes nothing.
            if (_disposed || _current is not { } failed || !ReferenceEquals(failed.Client, client))
            {
                return;
            }

            LogFatal(_logger, error.Code, error.Reason);
            _current = null;
            Retire(failed);
            TryBuild();
        }
    }

    /// <summary>librdkafka marks an error fatal itself; a produce refused after it reports <c>_FATAL</c>.</summary>
    public static bool IsFatal(Error error) => error.IsFatal || error.Code == ErrorCode.Local_Fatal;

    /// <summary>Flushes (bounded by the operation timeout) and closes the current producer; waits, as bounded, for retired ones.</summary>
    public void Dispose()
    {
        Generation? current;
        Task retiring;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            (current, _current) = (_current, null);
            retiring = _retiring;
        }

        try
        {
            if (current is not null)
            {
                Close(current);
            }
        }
        finally
        {
            retiring.Wait(_options.OperationTimeout);
        }
    }

    private Generation Rebuild()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_current is null && _timeProvider.GetElapsedTime(_buildFailedAt) >= _backoff)
            {
                TryBuild();
            }

            return _current ?? throw new IOException(
                $"No Kafka producer for topic '{_options.Topic}': building one after a fatal error failed ({_buildError?.Message}); the next attempt comes {_backoff.TotalSeconds:0} s after that failure.",
                _buildError);
        }
    }

    /// <summary>Called under <see cref="_gate"/> with no current producer.</summary>
    private void TryBuild()
    {
        try
        {
            _current = new Generation(KafkaClients.CreateProducer(_options, _logger, OnError));
            _backoff = TimeSpan.Zero;
            _buildError = null;
            LogReplaced(_logger, _options.Topic);
        }
        catch (Exception ex)
        {
            _buildError = ex;
            _backoff = _backoff == TimeSpan.Zero ? FirstBackoff : TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, MaxBackoff.Ticks));
            _buildFailedAt = _timeProvider.GetTimestamp();
            LogBuildFailed(_logger, ex, _backoff);
        }
    }

    /// <summary>On its own thread: Flush serves the delivery reports still due (bounded), and Dispose can block.</summary>
    private void Retire(Generation failed)
    {
        var retire = KafkaIngestLog.RunBlocking(() =>
        {
            try
            {
                LogRetired(_logger, Close(failed));
            }
            catch (Exception ex)
            {
                LogRetireFailed(_logger, ex);
            }

            return true;
        }, CancellationToken.None);
        _retiring = Task.WhenAll(_retiring, retire);
    }

    /// <summary>
    /// Flushes what <paramref name="generation"/> still holds (bounded by the operation timeout), disposes it and marks it
    /// retired, even when that fails; the records left in its queue.
    /// </summary>
    private int Close(Generation generation)
    {
        try
        {
            var left = generation.Client.Flush(_options.OperationTimeout);
            generation.Client.Dispose();
            return left;
        }
        finally
        {
            generation.MarkRetired();
        }
    }

    /// <summary>One producer instance, and when it was closed: delivery reports it has not given by then never come.</summary>
    public sealed class Generation(IProducer<Null, byte[]> client)
    {
        private readonly TaskCompletionSource _retired = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IProducer<Null, byte[]> Client => client;

        public Task Retired => _retired.Task;

        internal void MarkRetired() => _retired.TrySetResult();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The Kafka producer failed fatally ({Code}: {Reason}); replacing it. Appends in flight on it fail and are retried by their senders.")]
    private static partial void LogFatal(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "A new Kafka producer for topic {Topic} replaces the one that failed.")]
    private static partial void LogReplaced(ILogger logger, string topic);

    [LoggerMessage(Level = LogLevel.Error, Message = "Building a new Kafka producer failed; appends fail until the next attempt in {Backoff}.")]
    private static partial void LogBuildFailed(ILogger logger, Exception exception, TimeSpan backoff);

    [LoggerMessage(Level = LogLevel.Debug, Message = "The failed Kafka producer is closed; {Left} records were still in its queue.")]
    private static partial void LogRetired(ILogger logger, int left);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing the failed Kafka producer failed.")]
    private static partial void LogRetireFailed(ILogger logger, Exception exception);
}
