using Microsoft.Extensions.Options;

namespace XRay.Grains.Options;

/// <summary>Validates <see cref="EmbeddedIngestLogOptions"/> at start-up.</summary>
public sealed class EmbeddedIngestLogOptionsValidator : IValidateOptions<EmbeddedIngestLogOptions>
{
    /// <summary>Most partitions the log opens (each has a writer thread).</summary>
    public const int MaxPartitions = 64;

    /// <summary>Smallest segment size; tiny segments only make sense in tests.</summary>
    public const long MinSegmentBytes = 1024;

    public ValidateOptionsResult Validate(string? name, EmbeddedIngestLogOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Directory))
        {
            failures.Add($"{nameof(EmbeddedIngestLogOptions.Directory)} must name a directory.");
        }

        if (string.IsNullOrWhiteSpace(options.Topic))
        {
            failures.Add($"{nameof(EmbeddedIngestLogOptions.Topic)} must not be empty.");
        }

        if (options.Partitions is < 1 or > MaxPartitions)
        {
            failures.Add($"{nameof(EmbeddedIngestLogOptions.Partitions)} must be between 1 and {MaxPartitions}.");
        }

        if (options.SegmentBytes < MinSegmentBytes)
        {
            failures.Add($"{nameof(EmbeddedIngestLogOptions.SegmentBytes)} must be at least {MinSegmentBytes}.");
        }

        if (options.MaxRecordBytes < 1)
        {
            failures.Add($"{nameof(EmbeddedIngestLogOptions.MaxRecordBytes)} must be positive.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
