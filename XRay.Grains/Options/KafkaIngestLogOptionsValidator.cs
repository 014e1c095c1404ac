using Microsoft.Extensions.Options;

namespace XRay.Grains.Options;

/// <summary>Validates <see cref="KafkaIngestLogOptions"/> at start-up.</summary>
public sealed class KafkaIngestLogOptionsValidator : IValidateOptions<KafkaIngestLogOptions>
{
    /// <summary>Most partitions the log creates a topic with.</summary>
    public const int MaxPartitions = 1024;

    /// <summary>Longest topic name Kafka accepts.</summary>
    public const int MaxTopicLength = 249;

    public ValidateOptionsResult Validate(string? name, KafkaIngestLogOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.BootstrapServers))
        {
            failures.Add($"{nameof(KafkaIngestLogOptions.BootstrapServers)} must name at least one broker (host:port).");
        }

        if (string.IsNullOrWhiteSpace(options.Topic) || options.Topic.Length > MaxTopicLength
            || !options.Topic.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            failures.Add($"{nameof(KafkaIngestLogOptions.Topic)} must be 1-{MaxTopicLength} letters, digits, '-', '_' or '.'.");
        }

        if (options.Partitions is < 1 or > MaxPartitions)
        {
            failures.Add($"{nameof(KafkaIngestLogOptions.Partitions)} must be between 1 and {MaxPartitions}.");
        }

        if (options.ReplicationFactor < 1)
        {
            failures.Add($"{nameof(KafkaIngestLogOptions.ReplicationFactor)} must be at least 1.");
        }

        if (options.MinInSyncReplicas is { } minInSync && (minInSync < 1 || minInSync > options.ReplicationFactor))
        {
            failures.Add($"{nameof(KafkaIngestLogOptions.MinInSyncReplicas)} must be between 1 and {nameof(KafkaIngestLogOptions.ReplicationFactor)}.");
        }

        if (options.OperationTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{nameof(KafkaIngestLogOptions.OperationTimeout)} must be positive.");
        }

        if (options.EndOffsetsRefresh < TimeSpan.Zero)
        {
            failures.Add($"{nameof(KafkaIngestLogOptions.EndOffsetsRefresh)} must not be negative (zero queries the brokers on every call).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
