using System.Runtime.InteropServices;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using XRay.Grains.Options;
using ErrorCode = Confluent.Kafka.ErrorCode;

namespace XRay.Grains.Ingest.Kafka;

/// <summary>
/// <see cref="IIngestLog"/> on a Kafka topic: records are produced without a key (the client spreads them over the
/// partitions) with <c>acks=all</c> and idempotence; each <see cref="Subscribe"/> joins a Kafka consumer group and
/// commits offsets by hand. See <c>docs/ingest-log.md</c>.
/// </summary>
public sealed partial class KafkaIngestLog : IIngestLog, IAsyncDisposable, IDisposable
{
    private readonly KafkaIngestLogOptions _options;
    private readonly ILogger<KafkaIngestLog> _logger;
    private readonly RenewableProducer _producer;
    private readonly IAdminClient _admin;
    private readonly Lazy<IConsumer<Ignore, byte[]>> _watermarkReader;
    private readonly TopicEndOffsets _endOffsets;
    private Task? _topicReady;
    private int _partitionCount;
    private int _disposed;

    /// <summary>
    /// Builds the clients; nothing reaches the brokers until the first call. <paramref name="timeProvider"/> times the
    /// backoff between failed producer rebuilds (the system clock when null).
    /// </summary>
    public KafkaIngestLog(IOptions<KafkaIngestLogOptions> options, ILogger<KafkaIngestLog> logger, TimeProvider? timeProvider = null)
        : this(options, logger, timeProvider, queryEndOffsets: null)
    {
    }

    /// <summary>Tests hand in <paramref name="queryEndOffsets"/>, the broker query behind <see cref="GetEndOffsetsAsync"/>.</summary>
    internal KafkaIngestLog(IOptions<KafkaIngestLogOptions> options, ILogger<KafkaIngestLog> logger, TimeProvider? timeProvider, Func<Task<long[]>>? queryEndOffsets)
    {
        _options = options.Value;
        timeProvider ??= TimeProvider.System;
        _logger = logger;
        _partitionCount = _options.Partitions;
        MaxRecordBytes = MessageMaxBytes(_options) - 1024;
        _admin = KafkaClients.CreateAdmin(_options, logger);
        _producer = new RenewableProducer(_options, logger, timeProvider);
        _endOffsets = new TopicEndOffsets(queryEndOffsets ?? QueryEndOffsetsAsync, _options.EndOffsetsRefresh, _options.Partitions, timeProvider, logger);

        // Watermarks need a consumer handle; it never subscribes or commits, so its group is never created.
        _watermarkReader = new(() => KafkaClients.CreateConsumer(_options, $"{_options.Topic}-watermarks", logger));
    }

    /// <inheritdoc />
    public string Topic => _options.Topic;

    /// <summary>
    /// The producer's <c>message.max.bytes</c> (librdkafka's default 1,000,000 unless configured), less room for the
    /// record batch's own framing. The broker's and topic's limits must be at least as large.
    /// </summary>
    public int MaxRecordBytes { get; }

    /// <inheritdoc />
    /// <remarks>The configured count until the topic's metadata was read (by the offset queries), then the topic's.</remarks>
    public int PartitionCount => Volatile.Read(ref _partitionCount);

    internal TimeSpan OperationTimeout => _options.OperationTimeout;

    private static int MessageMaxBytes(KafkaIngestLogOptions options) =>
        options.Producer.TryGetValue("message.max.bytes", out var configured) && int.TryParse(configured, System.Globalization.CultureInfo.InvariantCulture, out var bytes) && bytes > 4096
            ? bytes
            : 1_000_000;

    internal ILogger Logger => _logger;

    /// <summary>The producer and its replacement after fatal errors (tests report errors to it as librdkafka would).</summary>
    internal RenewableProducer Producer => _producer;

    /// <inheritdoc />
    /// <remarks>
    /// Completes when every record's delivery report says persisted (all in-sync replicas have it). A cancelled token
    /// stops the call before anything is produced; once produced, the call waits for the delivery reports, so
    /// <see cref="OperationCanceledException"/> always means "not written". A failure (broker unreachable past
    /// <c>message.timeout.ms</c>, ...) throws <see cref="IOException"/> after every report arrived; records of that
    /// call may then be in the topic anyway, and a retry duplicates them (consumers tolerate duplicates). A fatal error
    /// of the producer fails this call and replaces the producer for the next ones; a call still waiting on the failed
    /// producer fails once it was closed (its remaining reports never come).
    /// </remarks>
    public async ValueTask AppendAsync(IReadOnlyList<ReadOnlyMemory<byte>> records, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (records.Count == 0)
        {
            return;
        }

        cancellationToken.ThrowIfCancellationRequested();
        await EnsureTopicAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();

        var producer = _producer.Current();
        var deliveries = Produce(producer.Client, records);

        // A replaced producer is closed after a bounded flush: reports it did not give by then never come.
        await Task.WhenAny(Task.WhenAll(deliveries), producer.Retired).ConfigureAwait(false);
        foreach (var delivery in deliveries)
        {
            if (delivery.IsCompletedSuccessfully && delivery.Result.Status == PersistenceStatus.Persisted)
            {
                // Before this call returns, so end offsets read after it cover its records without asking the brokers.
                _endOffsets.Acknowledged(delivery.Result.Partition.Value, delivery.Result.Offset.Value);
            }
        }

        var failed = deliveries.Count(d => !d.IsCompletedSuccessfully || d.Result.Status != PersistenceStatus.Persisted);
        if (failed > 0)
        {
            var first = deliveries.FirstOrDefault(d => d.IsFaulted)?.Exception?.InnerException;
            if (deliveries.Select(FatalError).FirstOrDefault(e => e is not null) is { } fatal)
            {
                _producer.OnError(producer.Client, fatal);
            }

            var reason = first?.Message ?? (deliveries.All(d => d.IsCompleted) ? "not acknowledged by all in-sync replicas" : "the producer was replaced before it reported");
            LogAppendFailed(_logger, first, failed, deliveries.Length, Topic);
            throw new IOException($"{failed} of {deliveries.Length} records were not persisted to Kafka topic '{Topic}': {reason}", first);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The consumer joins Kafka group <paramref name="group"/>: several consumers of one group share the partitions.
    /// </remarks>
    public IIngestConsumer Subscribe(string group)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        return new KafkaIngestConsumer(this, KafkaClients.CreateConsumer(_options, group, _logger));
    }

    /// <inheritdoc />
    /// <remarks>
    /// Per partition, the larger of the high watermark (with <c>acks=all</c> every record below it is replicated) and
    /// the end of this process's own acknowledged appends. This process's appends are covered exactly, from their
    /// delivery reports; the watermarks, which cover other processes' appends, are read from the brokers at most every
    /// <see cref="KafkaIngestLogOptions.EndOffsetsRefresh"/>, one query at a time shared by all callers. An answer
    /// therefore misses at most the records other processes had acknowledged within that interval before the call (or
    /// since the start of a query still in flight that the call joined). When a refresh fails, callers get the last
    /// answer that succeeded (the next call tries again); only a caller without one gets the failure.
    /// </remarks>
    public ValueTask<IReadOnlyList<long>> GetEndOffsetsAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _endOffsets.GetAsync(cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>Reads the group's offsets with the admin API (an OffsetFetch), which does not create the group.</remarks>
    public async ValueTask<IReadOnlyList<long>> GetCommittedOffsetsAsync(string group, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        await EnsureTopicAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        var partitions = await RunBlocking(ReadPartitions, cancellationToken).ConfigureAwait(false);
        var committed = await ReadGroupOffsetsAsync(group, partitions, cancellationToken).ConfigureAwait(false);

        // Never committed (Offset.Unset): the group would start at the oldest retained record (auto.offset.reset=earliest).
        return await RunBlocking(() => Array.ConvertAll(partitions, p => committed[p] >= 0 ? committed[p] : QueryWatermarks(p).Low.Value), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates the topic once (when configured); a failed attempt is retried by the next caller.</summary>
    internal Task EnsureTopicAsync()
    {
        if (!_options.CreateTopic)
        {
            return Task.CompletedTask;
        }

        var ready = Volatile.Read(ref _topicReady);
        if (ready is null || ready.IsFaulted || ready.IsCanceled)
        {
            var attempt = CreateTopicAsync();
            ready = Interlocked.CompareExchange(ref _topicReady, attempt, ready) == ready ? attempt : Volatile.Read(ref _topicReady)!;
        }

        return ready;
    }

    /// <summary>Runs a blocking client call on its own thread, so the thread pool (two cores here) is not parked in it.</summary>
    internal static Task<T> RunBlocking<T>(Func<T> call, CancellationToken cancellationToken)
        => Task.Factory.StartNew(call, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Waits (bounded) for records still in the producer's queue, then closes every client.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _producer.Dispose();
        if (_watermarkReader.IsValueCreated)
        {
            _watermarkReader.Value.Dispose();
        }

        _admin.Dispose();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await RunBlocking(() => { Dispose(); return true; }, CancellationToken.None).ConfigureAwait(false);

    private async Task CreateTopicAsync()
    {
        var topic = new TopicSpecification { Name = Topic, NumPartitions = _options.Partitions, ReplicationFactor = _options.ReplicationFactor };
        if ((_options.MinInSyncReplicas ?? (_options.ReplicationFactor >= 3 ? (short?)2 : null)) is { } minInSync)
        {
            // Without it acks=all waits only for the replicas in sync now, which may be the leader alone.
            topic.Configs = new Dictionary<string, string> { ["min.insync.replicas"] = minInSync.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        }

        try
        {
            await _admin.CreateTopicsAsync([topic], new CreateTopicsOptions { RequestTimeout = OperationTimeout, OperationTimeout = OperationTimeout })
                .ConfigureAwait(false);
            LogTopicCreated(_logger, Topic, topic.NumPartitions, topic.ReplicationFactor);
        }
        catch (CreateTopicsException ex) when (ex.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
            LogTopicExists(_logger, Topic);
        }
    }

    /// <summary>The group's committed offset per partition; negative (<see cref="Offset.Unset"/>) where it never committed.</summary>
    private async Task<long[]> ReadGroupOffsetsAsync(string group, int[] partitions, CancellationToken cancellationToken)
    {
        var committed = new long[partitions.Length];
        Array.Fill(committed, Offset.Unset.Value);
        var request = new ConsumerGroupTopicPartitions(group, [.. partitions.Select(p => new TopicPartition(Topic, p))]);
        List<TopicPartitionOffsetError> offsets;
        try
        {
            offsets = (await _admin.ListConsumerGroupOffsetsAsync([request], new ListConsumerGroupOffsetsOptions { RequestTimeout = OperationTimeout })
                .WaitAsync(cancellationToken).ConfigureAwait(false)).Single().Partitions;
        }
        catch (ListConsumerGroupOffsetsException ex) when (ex.Results.All(r => r.Error.Code == ErrorCode.GroupIdNotFound))
        {
            return committed; // brokers with the new group coordinator answer so for a group that never existed
        }

        foreach (var partition in offsets)
        {
            if (partition.Error.IsError)
            {
                throw new KafkaException(partition.Error);
            }

            committed[partition.Partition.Value] = partition.Offset.Value;
        }

        return committed;
    }

    /// <summary>The topic's partition ids, 0..n-1 (partitions can be added to a Kafka topic, never removed).</summary>
    private int[] ReadPartitions()
    {
        var metadata = _admin.GetMetadata(Topic, OperationTimeout).Topics.Single(t => t.Topic == Topic);
        if (metadata.Error.IsError)
        {
            throw new KafkaException(metadata.Error);
        }

        var partitions = metadata.Partitions.Select(p => p.PartitionId).Order().ToArray();
        Volatile.Write(ref _partitionCount, partitions.Length);
        return partitions;
    }

    /// <summary>
    /// The partitions from the topic's metadata, then the high watermark of all of them with one ListOffsets request per
    /// partition leader (at <c>read_uncommitted</c>, ListOffsets' latest offset is the high watermark).
    /// </summary>
    private async Task<long[]> QueryEndOffsetsAsync()
    {
        await EnsureTopicAsync().ConfigureAwait(false);
        var partitions = await RunBlocking(ReadPartitions, CancellationToken.None).ConfigureAwait(false);
        var request = partitions.Select(p => new TopicPartitionOffsetSpec { TopicPartition = new TopicPartition(Topic, p), OffsetSpec = OffsetSpec.Latest() });
        var result = await _admin.ListOffsetsAsync(request, new ListOffsetsOptions { RequestTimeout = OperationTimeout }).ConfigureAwait(false);
        var ends = new long[partitions.Length];
        foreach (var partition in result.ResultInfos.Select(r => r.TopicPartitionOffsetError))
        {
            if (partition.Error.IsError)
            {
                throw new KafkaException(partition.Error);
            }

            ends[partition.Partition.Value] = partition.Offset.Value;
        }

        return ends;
    }

    private WatermarkOffsets QueryWatermarks(int partition)
        => _watermarkReader.Value.QueryWatermarkOffsets(new TopicPartition(Topic, partition), OperationTimeout);

    /// <summary>Produces every record; a produce refused outright fails the records from it on, without producing them.</summary>
    private Task<DeliveryResult<Null, byte[]>>[] Produce(IProducer<Null, byte[]> producer, IReadOnlyList<ReadOnlyMemory<byte>> records)
    {
        var deliveries = new Task<DeliveryResult<Null, byte[]>>[records.Count];
        for (var i = 0; i < deliveries.Length; i++)
        {
            try
            {
                deliveries[i] = producer.ProduceAsync(Topic, new Message<Null, byte[]> { Value = ToArray(records[i]) }, CancellationToken.None);
            }
            catch (Exception ex)
            {
                Array.Fill(deliveries, Task.FromException<DeliveryResult<Null, byte[]>>(ex), i, deliveries.Length - i);
                break;
            }
        }

        return deliveries;
    }

    private static Error? FatalError(Task delivery)
        => delivery.Exception?.InnerExceptions.OfType<KafkaException>().Select(e => e.Error).FirstOrDefault(RenewableProducer.IsFatal);

    /// <summary>The record's bytes as the array the client takes, copying only when the memory is not a whole array.</summary>
    private static byte[] ToArray(ReadOnlyMemory<byte> record)
        => MemoryMarshal.TryGetArray(record, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : record.ToArray();

    [LoggerMessage(Level = LogLevel.Information, Message = "Kafka topic {Topic} created: {Partitions} partitions, replication factor {ReplicationFactor}.")]
    private static partial void LogTopicCreated(ILogger logger, string topic, int partitions, short replicationFactor);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Kafka topic {Topic} exists already.")]
    private static partial void LogTopicExists(ILogger logger, string topic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Failed} of {Records} records were not persisted to Kafka topic {Topic}.")]
    private static partial void LogAppendFailed(ILogger logger, Exception? exception, int failed, int records, string topic);
}
