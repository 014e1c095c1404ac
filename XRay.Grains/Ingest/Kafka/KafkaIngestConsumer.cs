using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using ErrorCode = Confluent.Kafka.ErrorCode;

namespace XRay.Grains.Ingest.Kafka;

/// <summary>
/// A member of a Kafka consumer group. <c>Consume</c> blocks, so each poll and commit runs on its own thread; the
/// caller only awaits.
/// </summary>
internal sealed partial class KafkaIngestConsumer(KafkaIngestLog log, IConsumer<Ignore, byte[]> consumer) : IIngestConsumer
{
    private readonly CancellationTokenSource _closing = new();
    private IngestRecord? _held;
    private Task _poll = Task.CompletedTask;
    private bool _subscribed;
    private int _disposed;

    public async ValueTask<IReadOnlyList<IngestRecord>> PollAsync(int maxRecords, long maxBytes, TimeSpan maxWait, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRecords, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        if (maxWait != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(maxWait, TimeSpan.Zero);
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (!_subscribed)
        {
            await log.EnsureTopicAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            consumer.Subscribe(log.Topic);
            _subscribed = true;
        }

        var poll = KafkaIngestLog.RunBlocking(() => Consume(maxRecords, maxBytes, maxWait, cancellationToken), cancellationToken);
        _poll = poll;
        return await poll.ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Commits only partitions this member still owns: after a rebalance the new owner resumes from the group's last
    /// commit, and the records in between are delivered again (at-least-once).
    /// </remarks>
    public async ValueTask CommitAsync(IReadOnlyList<IngestRecord> records, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (records.Count == 0)
        {
            return;
        }

        var owned = consumer.Assignment.Where(tp => tp.Topic == log.Topic).Select(tp => tp.Partition.Value).ToHashSet();
        var offsets = records
            .GroupBy(r => r.Partition)
            .Where(partition => owned.Contains(partition.Key))
            .Select(partition => new TopicPartitionOffset(log.Topic, partition.Key, partition.Max(r => r.Offset) + 1))
            .ToList();
        if (offsets.Count < records.Select(r => r.Partition).Distinct().Count())
        {
            LogNotOwned(log.Logger, log.Topic);
        }

        if (offsets.Count > 0)
        {
            await KafkaIngestLog.RunBlocking(() => { consumer.Commit(offsets); return true; }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Leaves the group (so its partitions move at once, not after the session timeout) and closes the client.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        await _poll.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await KafkaIngestLog.RunBlocking(() =>
        {
            if (_subscribed)
            {
                consumer.Close();
            }

            consumer.Dispose();
            _closing.Dispose();
            return true;
        }, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits up to <paramref name="maxWait"/> for a first record, then takes what the client has fetched already, up to
    /// <paramref name="maxBytes"/> of values. The client hands out one message at a time: the one that would pass the
    /// byte bound is held here and returned first by the next poll (the client's own prefetch is bounded by its
    /// <c>queued.max.messages.kbytes</c>, set under <c>Ingest:Kafka:Consumer</c>).
    /// </summary>
    private List<IngestRecord> Consume(int maxRecords, long maxBytes, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        var records = new List<IngestRecord>(Math.Min(maxRecords, 1024));
        var bytesLeft = maxBytes;
        if (_held is { } held)
        {
            _held = null;
            records.Add(held);
            bytesLeft -= held.Value.Length;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        deadline.CancelAfter(maxWait);
        var wait = maxWait != TimeSpan.Zero;
        while (records.Count < maxRecords)
        {
            ConsumeResult<Ignore, byte[]>? result;
            try
            {
                result = records.Count == 0 && wait ? consumer.Consume(deadline.Token) : consumer.Consume(TimeSpan.Zero);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break; // maxWait passed without a record, or the consumer is closing
            }
            catch (ConsumeException ex) when (!ex.Error.IsFatal)
            {
                // E.g. the topic is not there yet; the client keeps trying, and so do we until maxWait.
                LogConsumeError(log.Logger, ex, ex.Error.Code);
                continue;
            }
            catch (Exception ex) when (records.Count > 0 && ex is not OperationCanceledException)
            {
                // The client has moved past these records: return them, or they would be skipped. The failure comes
                // back at the next poll.
                break;
            }

            if (result is null)
            {
                // Zero wait with nothing fetched, or the end of what the client holds already.
                break;
            }

            if (!result.IsPartitionEOF)
            {
                var record = new IngestRecord(result.Partition.Value, result.Offset.Value, result.Message.Value ?? []);
                if (record.Value.Length > bytesLeft && records.Count > 0)
                {
                    _held = record;
                    break;
                }

                bytesLeft -= record.Value.Length;
                records.Add(record);
            }
        }

        return records;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka consume failed ({Code}); retrying.")]
    private static partial void LogConsumeError(ILogger logger, Exception exception, ErrorCode code);

    [LoggerMessage(Level = LogLevel.Information, Message = "Kafka topic {Topic}: partitions moved to another member before their commit; they will be read again from the group's last commit.")]
    private static partial void LogNotOwned(ILogger logger, string topic);
}
