using Confluent.Kafka;

namespace XRay.Grains.Options;

/// <summary>Options of the Kafka ingest log (configuration section <c>Ingest:Kafka</c>).</summary>
public sealed class KafkaIngestLogOptions
{
    /// <summary>The brokers, <c>host:port[,host:port...]</c>. Required.</summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary>The topic records go to.</summary>
    public string Topic { get; set; } = "xray-events";

    /// <summary>Partitions of the topic when this log creates it (the seed asks for 3-6).</summary>
    public int Partitions { get; set; } = 3;

    /// <summary>Replication factor of the topic when this log creates it; production clusters want 3.</summary>
    public short ReplicationFactor { get; set; } = 1;

    /// <summary>
    /// <c>min.insync.replicas</c> of the topic when this log creates it: how many replicas must have a record before an
    /// <c>acks=all</c> append is acknowledged. Null: 2 when <see cref="ReplicationFactor"/> is 3 or more, else the
    /// broker's default (1 unless configured, so a shrunken ISR would acknowledge a record only its leader holds).
    /// </summary>
    public short? MinInSyncReplicas { get; set; }

    /// <summary>Creates the topic before the first append or poll; an existing topic is left as it is.</summary>
    public bool CreateTopic { get; set; } = true;

    /// <summary>Bound on each blocking admin or metadata call (topic creation, watermarks, committed offsets).</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the partitions' high watermarks read from the brokers serve the end-offset queries (admission control,
    /// the read fence, the lag gauge) before the next call reads them again. This process's own appends are always
    /// covered exactly; other processes' appends may be missed for this long. Zero queries the brokers on every call.
    /// </summary>
    public TimeSpan EndOffsetsRefresh { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Extra librdkafka producer properties (<c>message.timeout.ms</c>, <c>linger.ms</c>, security ...), applied
    /// before the settings the log insists on (<c>acks=all</c>, idempotence).
    /// </summary>
    public Dictionary<string, string> Producer { get; } = [];

    /// <summary>
    /// Extra librdkafka consumer properties, applied before the settings the log insists on (manual commits,
    /// <c>auto.offset.reset=earliest</c>) and the group id.
    /// </summary>
    public Dictionary<string, string> Consumer { get; } = [];

    /// <summary>
    /// Extra librdkafka properties of the admin client (topic creation, metadata, group offsets): the connection and
    /// security settings the brokers require (<c>security.protocol</c>, <c>sasl.*</c>, <c>ssl.*</c> ...), as given to
    /// <see cref="Producer"/> and <see cref="Consumer"/>.
    /// </summary>
    public Dictionary<string, string> Admin { get; } = [];

    /// <summary>
    /// Builds the producer from its final configuration; null builds the standard Confluent client. Called again for a
    /// new producer after one failed fatally; the log learns of a fatal error from the deliveries of a producer built
    /// here (its own error handler is on the standard client only).
    /// </summary>
    public Func<ProducerConfig, IProducer<Null, byte[]>>? ProducerFactory { get; set; }

    /// <summary>Builds a consumer from its final configuration; null builds the standard Confluent client.</summary>
    public Func<ConsumerConfig, IConsumer<Ignore, byte[]>>? ConsumerFactory { get; set; }

    /// <summary>
    /// Builds the admin client from its final configuration; null builds the standard Confluent client. End offsets need
    /// a client built by <see cref="AdminClientBuilder"/>: Confluent.Kafka offers ListOffsets on its own client only.
    /// </summary>
    public Func<AdminClientConfig, IAdminClient>? AdminClientFactory { get; set; }
}
