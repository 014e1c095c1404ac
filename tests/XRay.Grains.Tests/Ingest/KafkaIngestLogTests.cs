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

    [Fact]
    public async Task Another_logs_appends_reach_the_end_offsets_once_the_refresh_interval_passed()
    {
        var reader = OpenLog();
        var writer = OpenLog();
        Assert.Equal(0, (await reader.GetEndOffsetsAsync(Ct)).Sum());

        await writer.AppendAsync(Records(Enumerable.Range(0, 8)), Ct);
        Assert.Equal(8, (await writer.GetEndOffsetsAsync(Ct)).Sum());

        // The reader's watermarks serve EndOffsetsRefresh (100 ms); its next query (ListOffsets) sees the writer's records.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(Patience);
        while ((await reader.GetEndOffsetsAsync(deadline.Token)).Sum() < 8)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), deadline.Token);
        }

        Assert.Equal(await writer.GetEndOffsetsAsync(Ct), await reader.GetEndOffsetsAsync(Ct));
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
