using Microsoft.Extensions.Options;
using XRay.Grains.Ingest.Embedded;

namespace XRay.Grains.Options;

/// <summary>Validates <see cref="IngestConsumerOptions"/> at start-up.</summary>
public sealed class IngestConsumerOptionsValidator : IValidateOptions<IngestConsumerOptions>
{
    public ValidateOptionsResult Validate(string? name, IngestConsumerOptions options)
    {
        var failures = new List<string>();

        // The embedded log's rule, applied whichever log runs (Kafka itself takes any group id): checked here at start,
        // where a group the log refused at its first subscribe stopped the host after start-up.
        if (!EmbeddedIngestLog.IsValidGroup(options.GroupId))
        {
            failures.Add(
                $"Ingest:Consumer:{nameof(IngestConsumerOptions.GroupId)} '{options.GroupId}' must be 1 to {EmbeddedIngestLog.MaxGroupLength} ASCII " +
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
}
