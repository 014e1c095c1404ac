using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using XRay.Grains.Hosting;
using XRay.Grains.Ingest;
using XRay.Grains.Ingest.Kafka;
using XRay.Grains.Options;

namespace XRay.Grains.Tests.Ingest;

/// <summary>What holds without a broker: registration, validation, client settings, and no false acknowledgement.</summary>
public sealed class KafkaIngestLogHostingTests
{
    /// <summary>Nothing listens on port 1, so every connection is refused.</summary>
    private const string Unreachable = "127.0.0.1:1";

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_log_is_registered_once_and_bound_to_Ingest_Kafka()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ingest:Kafka:BootstrapServers"] = Unreachable,
            ["Ingest:Kafka:Topic"] = "events-here",
            ["Ingest:Kafka:Partitions"] = "6",
            ["Ingest:Kafka:Producer:linger.ms"] = "2",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();

        services.AddXRayKafkaIngestLog().AddXRayKafkaIngestLog();

        await using var provider = services.BuildServiceProvider();
        var log = provider.GetRequiredService<IIngestLog>();
        Assert.IsType<KafkaIngestLog>(log);
        Assert.Same(log, provider.GetRequiredService<IIngestLog>());
        Assert.Equal("events-here", log.Topic);
        Assert.Equal(6, log.PartitionCount);
        Assert.Equal("2", provider.GetRequiredService<IOptions<KafkaIngestLogOptions>>().Value.Producer["linger.ms"]);
        Assert.Single(services, d => d.ServiceType == typeof(IIngestLog));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<KafkaIngestLogOptions>));
    }

    [Fact]
    public void A_missing_broker_fails_at_resolution_with_the_option_named()
    {
        var services = new ServiceCollection().AddSingleton<IConfiguration>(new ConfigurationBuilder().Build()).AddLogging();
        services.AddXRayKafkaIngestLog();

        using var provider = services.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IIngestLog>());
        Assert.Contains(error.Failures, f => f.StartsWith(nameof(KafkaIngestLogOptions.BootstrapServers), StringComparison.Ordinal));
    }

    [Fact]
    public void The_validator_names_every_bad_option()
    {
        var options = new KafkaIngestLogOptions
        {
            BootstrapServers = " ", Topic = "bad topic", Partitions = 0, ReplicationFactor = 0, OperationTimeout = TimeSpan.Zero,
            EndOffsetsRefresh = TimeSpan.FromMilliseconds(-1),
        };

        var result = new KafkaIngestLogOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        foreach (var name in new[] { "BootstrapServers", "Topic", "Partitions", "ReplicationFactor", "OperationTimeout", "EndOffsetsRefresh" })
        {
            Assert.Contains(result.Failures!, f => f.StartsWith(name, StringComparison.Ordinal));
        }

        Assert.True(new KafkaIngestLogOptionsValidator().Validate(null, new KafkaIngestLogOptions { BootstrapServers = "kafka:9092" }).Succeeded);
    }

    [Fact]
    public async Task The_clients_keep_the_durability_settings_over_passthrough_ones()
    {
        ProducerConfig? producerConfig = null;
        ConsumerConfig? consumerConfig = null;
        var options = new KafkaIngestLogOptions
        {
            BootstrapServers = Unreachable,
            ProducerFactory = config => new ProducerBuilder<Null, byte[]>(producerConfig = config).SetLogHandler(Quiet).Build(),
            ConsumerFactory = config => new ConsumerBuilder<Ignore, byte[]>(consumerConfig = config).SetLogHandler(Quiet).Build(),
        };
        options.Producer["acks"] = "1";
        options.Producer["linger.ms"] = "7";
        options.Consumer["enable.auto.commit"] = "true";

        await using (var log = Open(options))
        await using (log.Subscribe("the-group"))
        {
        }

        Assert.Equal(Acks.All, producerConfig!.Acks);
        Assert.True(producerConfig.EnableIdempotence);
        Assert.Equal(7, producerConfig.LingerMs);
        Assert.Equal("the-group", consumerConfig!.GroupId);
        Assert.False(consumerConfig.EnableAutoCommit);
        Assert.False(consumerConfig.EnableAutoOffsetStore);
        Assert.Equal(AutoOffsetReset.Earliest, consumerConfig.AutoOffsetReset);
    }

    [Fact]
    public async Task An_append_the_broker_never_received_fails_instead_of_acknowledging()
    {
        var options = new KafkaIngestLogOptions { BootstrapServers = Unreachable, CreateTopic = false };
        options.Producer["message.timeout.ms"] = "1000";
        await using var log = Open(options);

        var append = log.AppendAsync([new byte[] { 1, 2, 3 }, new byte[] { 4 }], Ct).AsTask();

        var error = await Assert.ThrowsAsync<IOException>(() => append.WaitAsync(Bound, Ct));
        Assert.Contains("2 of 2 records", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_append_fails_when_the_topic_cannot_be_created()
    {
        var options = new KafkaIngestLogOptions { BootstrapServers = Unreachable, OperationTimeout = TimeSpan.FromSeconds(1) };
        await using var log = Open(options);

        await Assert.ThrowsAnyAsync<KafkaException>(() => log.AppendAsync([new byte[] { 1 }], Ct).AsTask().WaitAsync(Bound, Ct));
    }

    [Fact]
    public async Task Offset_queries_fail_within_the_operation_timeout()
    {
        var options = new KafkaIngestLogOptions { BootstrapServers = Unreachable, CreateTopic = false, OperationTimeout = TimeSpan.FromSeconds(1) };
        await using var log = Open(options);

        await Assert.ThrowsAnyAsync<KafkaException>(() => log.GetEndOffsetsAsync(Ct).AsTask().WaitAsync(Bound, Ct));
        await Assert.ThrowsAnyAsync<KafkaException>(() => log.GetCommittedOffsetsAsync("g", Ct).AsTask().WaitAsync(Bound, Ct));
    }

    [Fact]
    public async Task A_poll_without_a_broker_returns_empty_in_time_and_closing_ends_an_endless_poll()
    {
        await using var log = Open(new KafkaIngestLogOptions { BootstrapServers = Unreachable, CreateTopic = false });
        var consumer = log.Subscribe("the-group");

        Assert.Empty(await consumer.PollAsync(1000, TimeSpan.FromMilliseconds(200), Ct).AsTask().WaitAsync(Bound, Ct));
        Assert.Empty(await consumer.PollAsync(1000, TimeSpan.Zero, Ct).AsTask().WaitAsync(Bound, Ct));
        var endless = consumer.PollAsync(1000, Timeout.InfiniteTimeSpan, Ct).AsTask();
        Assert.False(endless.IsCompleted);

        await consumer.DisposeAsync().AsTask().WaitAsync(Bound, Ct);

        Assert.Empty(await endless.WaitAsync(Bound, Ct));
    }

    [Fact]
    public async Task A_cancelled_append_throws_before_producing()
    {
        await using var log = Open(new KafkaIngestLogOptions { BootstrapServers = Unreachable });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            async () => await log.AppendAsync([new byte[] { 1 }], new CancellationToken(canceled: true)));
    }

    private static void Quiet<TClient>(TClient client, LogMessage message)
    {
    }

    private static KafkaIngestLog Open(KafkaIngestLogOptions options)
        => new(Microsoft.Extensions.Options.Options.Create(options), NullLogger<KafkaIngestLog>.Instance);
}
