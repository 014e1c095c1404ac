using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using XRay.Grains.Options;
using ErrorCode = Confluent.Kafka.ErrorCode;

namespace XRay.Grains.Ingest.Kafka;

/// <summary>
/// Builds the Kafka clients of <see cref="KafkaIngestLog"/>: the configuration the log relies on, then the
/// factory from the options (or the standard client, logging through <see cref="ILogger"/>).
/// </summary>
internal static partial class KafkaClients
{
    /// <summary>
    /// Producer that acknowledges only what every in-sync replica has, without duplicates on retry. The standard client
    /// also tells <paramref name="onError"/> its errors (a fatal one means it must be replaced).
    /// </summary>
    public static IProducer<Null, byte[]> CreateProducer(KafkaIngestLogOptions options, ILogger logger, Action<IProducer<Null, byte[]>, Error> onError)
    {
        var config = new ProducerConfig(new Dictionary<string, string>(options.Producer))
        {
            BootstrapServers = options.BootstrapServers,
            Acks = Acks.All,
            EnableIdempotence = true,
        };
        return options.ProducerFactory?.Invoke(config) ?? new ProducerBuilder<Null, byte[]>(config)
            .SetLogHandler((_, message) => Log(logger, message))
            .SetErrorHandler((producer, error) =>
            {
                LogError(logger, error);
                onError(producer, error);
            })
            .Build();
    }

    /// <summary>Consumer of <paramref name="group"/> that commits only what the caller commits.</summary>
    public static IConsumer<Ignore, byte[]> CreateConsumer(KafkaIngestLogOptions options, string group, ILogger logger)
    {
        var config = new ConsumerConfig(new Dictionary<string, string>(options.Consumer))
        {
            BootstrapServers = options.BootstrapServers,
            GroupId = group,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        };

        // Consume(token) notices a cancelled wait only every cancellation.delay.max.ms (100 ms by default): the
        // consumer's short waits (BatchLinger, 20 ms) would otherwise last 100 ms. Left alone when configured.
        if (!options.Consumer.ContainsKey("cancellation.delay.max.ms"))
        {
            config.CancellationDelayMaxMs = 10;
        }

        return options.ConsumerFactory?.Invoke(config) ?? new ConsumerBuilder<Ignore, byte[]>(config)
            .SetLogHandler((_, message) => Log(logger, message))
            .SetErrorHandler((_, error) => LogError(logger, error))
            .Build();
    }

    /// <summary>Admin client for topic creation, metadata and group offsets.</summary>
    public static IAdminClient CreateAdmin(KafkaIngestLogOptions options, ILogger logger)
    {
        var config = new AdminClientConfig(new Dictionary<string, string>(options.Admin)) { BootstrapServers = options.BootstrapServers };
        return options.AdminClientFactory?.Invoke(config) ?? new AdminClientBuilder(config)
            .SetLogHandler((_, message) => Log(logger, message))
            .SetErrorHandler((_, error) => LogError(logger, error))
            .Build();
    }

    private static void Log(ILogger logger, LogMessage message)
    {
        var level = message.Level switch
        {
            SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
            SyslogLevel.Error => LogLevel.Error,
            SyslogLevel.Warning => LogLevel.Warning,
            SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
            _ => LogLevel.Debug,
        };
        LogClientMessage(logger, level, message.Name, message.Facility, message.Message);
    }

    // librdkafka reports transient trouble (a broker down) here and retries by itself; only fatal errors stop a client
    // (the log replaces a producer that reports one).
    private static void LogError(ILogger logger, Error error)
        => LogClientError(logger, error.IsFatal ? LogLevel.Error : LogLevel.Warning, error.Code, error.Reason);

    [LoggerMessage(Message = "Kafka client {Client} [{Facility}]: {Text}")]
    private static partial void LogClientMessage(ILogger logger, LogLevel level, string client, string facility, string text);

    [LoggerMessage(Message = "Kafka client error {Code}: {Reason}")]
    private static partial void LogClientError(ILogger logger, LogLevel level, ErrorCode code, string reason);
}
