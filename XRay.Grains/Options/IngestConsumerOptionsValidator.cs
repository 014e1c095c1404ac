using Microsoft.Extensions.Options;

namespace XRay.Grains.Options;

/// <summary>Validates <see cref="IngestConsumerOptions"/> at start-up.</summary>
public sealed class IngestConsumerOptionsValidator : IValidateOptions<IngestConsumerOptions>
{
    public ValidateOptionsResult Validate(string? name, IngestConsumerOptions options)
    {
        var failures = new List<string>();
        if (!IsValidGroupId(options.GroupId))
        {
            failures.Add(
                $"Ingest:Consumer:{nameof(IngestConsumerOptions.GroupId)} '{options.GroupId}' must be 1 to {MaxGroupIdLength} ASCII " +
                "letters, digits, '.', '_' or '-', not starting with '.' (the embedded log names a file after it; Kafka " +
                "topic names take the same characters).");
        }

        if (options.MaxBatchBytes is < 1024 or > 1L << 30)
        {
            failures.Add($"Ingest:Consumer:{nameof(IngestConsumerOptions.MaxBatchBytes)} must be between 1024 (1 KiB) and 1073741824 (1 GiB).");
        }

        if (options.MaxBatchSize is < 1 or > 10_000)
        {
            failures.Add($"Ingest:Consumer:{nameof(IngestConsumerOptions.MaxBatchSize)} must be between 1 and 10000.");
        }

        if (options.MaxBatchesInFlight is < 1 or > 16)
        {
            failures.Add($"Ingest:Consumer:{nameof(IngestConsumerOptions.MaxBatchesInFlight)} must be between 1 and 16.");
        }

        if (options.PollWait <= TimeSpan.Zero || options.RetryDelay <= TimeSpan.Zero)
        {
            failures.Add($"Ingest:Consumer:{nameof(IngestConsumerOptions.PollWait)} and {nameof(IngestConsumerOptions.RetryDelay)} must be positive.");
        }

        if (options.CommitInterval < TimeSpan.Zero || options.CommitInterval > TimeSpan.FromMinutes(1))
        {
            failures.Add($"Ingest:Consumer:{nameof(IngestConsumerOptions.CommitInterval)} must be between 00:00:00 and 00:01:00.");
        }

        if (options.BatchLinger < TimeSpan.Zero || options.BatchLinger > TimeSpan.FromSeconds(1))
        {
            failures.Add($"Ingest:Consumer:{nameof(IngestConsumerOptions.BatchLinger)} must be between 00:00:00 and 00:00:01.");
        }

        if (options.PauseBetweenBatches < TimeSpan.Zero)
        {
            failures.Add($"Ingest:Consumer:{nameof(IngestConsumerOptions.PauseBetweenBatches)} must not be negative.");
        }

        if (options.BackgroundThreads is < 1 or > 16)
        {
            failures.Add($"Ingest:Consumer:{nameof(IngestConsumerOptions.BackgroundThreads)} must be between 1 and 16.");
        }

        if (options.BackgroundNice is < 0 or > 19)
        {
            failures.Add($"Ingest:Consumer:{nameof(IngestConsumerOptions.BackgroundNice)} must be between 0 and 19.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>
    /// The longest group id: the embedded log keeps a group's offsets in <c>{group}.offsets</c>, and a file name has at
    /// most 255 bytes. (Kafka itself takes any group id; the rule is the embedded log's, applied whichever log runs.)
    /// </summary>
    public const int MaxGroupIdLength = 200;

    /// <summary>Kafka's legal characters (letters, digits, '.', '_', '-'), and a file name that is not hidden or relative.</summary>
    private static bool IsValidGroupId(string? groupId)
        => !string.IsNullOrEmpty(groupId) && groupId.Length <= MaxGroupIdLength && groupId[0] != '.'
            && groupId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
