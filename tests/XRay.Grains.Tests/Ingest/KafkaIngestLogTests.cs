using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using XRay.Grains.Ingest;
using XRay.Grains.Ingest.Kafka;
using XRay.Grains.Options;

namespace XRay.Grains.Tests.Ingest;

/// <summary>
/// The contract against a real broker, named by <c>XRAY_TEST_KAFKA</c> (none can run on our build machines: these
/// tests skip there). Each test gets its own topic and its own consumer groups, and deletes the topic afterwards.
/// </summary>
public sealed class KafkaIngestLogTests : IngestLogContractTests
{
    public const string BrokerVariable = "XRAY_TEST_KAFKA";
    public const string NoBroker = "Kafka tests need a broker: set XRAY_TEST_KAFKA=host:9092";

    private readonly string _run = Guid.NewGuid().ToString("N");
    private bool _opened;

    private static string? Broker => Environment.GetEnvironmentVariable(BrokerVariable) is { Length: > 0 } broker ? broker : null;

    private string TopicName => $"xray-test-{_run}";

    protected override IIngestLog CreateLog()
    {
        Assert.SkipWhen(Broker is null, NoBroker);
        _opened = true;
        var options = new KafkaIngestLogOptions { BootstrapServers = Broker!, Topic = TopicName, Partitions = 3 };
        var log = new KafkaIngestLog(Microsoft.Extensions.Options.Options.Create(options), NullLogger<KafkaIngestLog>.Instance);
        return new GroupScopedLog(log, _run);
    }

    protected override async ValueTask DisposeStorageAsync()
    {
        if (!_opened)
        {
            return;
        }

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Broker }).Build();
        await admin.DeleteTopicsAsync([TopicName]);
    }

    /// <summary>Gives the contract's fixed group name a suffix per test, so tests never share a Kafka consumer group.</summary>
    private sealed class GroupScopedLog(KafkaIngestLog inner, string suffix) : IIngestLog, IAsyncDisposable
    {
        public string Topic => inner.Topic;

        public int PartitionCount => inner.PartitionCount;

        public int MaxRecordBytes => inner.MaxRecordBytes;

        public ValueTask AppendAsync(IReadOnlyList<ReadOnlyMemory<byte>> records, CancellationToken cancellationToken = default)
            => inner.AppendAsync(records, cancellationToken);

        public IIngestConsumer Subscribe(string group) => inner.Subscribe($"{group}-{suffix}");

        public ValueTask<IReadOnlyList<long>> GetEndOffsetsAsync(CancellationToken cancellationToken = default)
            => inner.GetEndOffsetsAsync(cancellationToken);

        public ValueTask<IReadOnlyList<long>> GetCommittedOffsetsAsync(string group, CancellationToken cancellationToken = default)
            => inner.GetCommittedOffsetsAsync($"{group}-{suffix}", cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
