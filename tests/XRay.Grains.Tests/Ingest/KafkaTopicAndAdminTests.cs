using System.Reflection;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging.Abstractions;
using XRay.Grains.Ingest.Kafka;
using XRay.Grains.Options;

namespace XRay.Grains.Tests.Ingest;

/// <summary>Review findings on the Kafka log that hold without a broker.</summary>
public sealed class KafkaTopicAndAdminTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_admin_client_gets_the_security_settings_the_other_clients_get()
    {
        AdminClientConfig? adminConfig = null;
        var options = new KafkaIngestLogOptions
        {
            BootstrapServers = "127.0.0.1:1",
            AdminClientFactory = config => new AdminClientBuilder(adminConfig = config).SetLogHandler((_, _) => { }).Build(),
        };
        foreach (var settings in new[] { options.Producer, options.Consumer, options.Admin })
        {
            settings["security.protocol"] = "SASL_PLAINTEXT";
            settings["sasl.mechanism"] = "PLAIN";
            settings["sasl.username"] = "xray";
            settings["sasl.password"] = "not-a-secret";
        }

        await using (new KafkaIngestLog(Microsoft.Extensions.Options.Options.Create(options), NullLogger<KafkaIngestLog>.Instance))
        {
        }

        Assert.Equal("SASL_PLAINTEXT", adminConfig!.Get("security.protocol"));
        Assert.Equal("PLAIN", adminConfig.Get("sasl.mechanism"));
    }

    [Theory]
    [InlineData((short)1, null, null)]
    [InlineData((short)3, null, "2")]
    [InlineData((short)5, (short)3, "3")]
    public async Task A_created_topic_requires_enough_in_sync_replicas(short replicationFactor, short? minInSync, string? expected)
    {
        var admin = FakeAdmin.Create();
        var options = new KafkaIngestLogOptions
        {
            BootstrapServers = "127.0.0.1:1",
            ReplicationFactor = replicationFactor,
            MinInSyncReplicas = minInSync,
            AdminClientFactory = _ => admin,
        };
        await using var log = new KafkaIngestLog(Microsoft.Extensions.Options.Options.Create(options), NullLogger<KafkaIngestLog>.Instance);

        await log.EnsureTopicAsync().WaitAsync(Ct);

        var topic = Assert.Single(((FakeAdmin)(object)admin).Created);
        Assert.Equal(replicationFactor, topic.ReplicationFactor);
        Assert.Equal(expected, topic.Configs?.GetValueOrDefault("min.insync.replicas"));
    }

    [Fact]
    public void The_validator_refuses_more_in_sync_replicas_than_replicas()
    {
        var result = new KafkaIngestLogOptionsValidator().Validate(null, new KafkaIngestLogOptions { BootstrapServers = "b:9092", ReplicationFactor = 2, MinInSyncReplicas = 3 });

        Assert.Contains(result.Failures!, f => f.StartsWith(nameof(KafkaIngestLogOptions.MinInSyncReplicas), StringComparison.Ordinal));
    }

    /// <summary>An admin client that records CreateTopicsAsync and does nothing else.</summary>
    public class FakeAdmin : DispatchProxy
    {
        public List<TopicSpecification> Created { get; } = [];

        public static IAdminClient Create() => DispatchProxy.Create<IAdminClient, FakeAdmin>();

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => targetMethod!.Name switch
        {
            nameof(IAdminClient.CreateTopicsAsync) => Record((IEnumerable<TopicSpecification>)args![0]!),
            nameof(IDisposable.Dispose) => null,
            _ => throw new NotSupportedException(targetMethod.Name),
        };

        private Task Record(IEnumerable<TopicSpecification> topics)
        {
            Created.AddRange(topics);
            return Task.CompletedTask;
        }
    }
}
