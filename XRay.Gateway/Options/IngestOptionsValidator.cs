using Microsoft.Extensions.Options;

namespace XRay.Gateway.Options;

/// <summary>Validates <see cref="IngestOptions"/> at start-up.</summary>
public sealed class IngestOptionsValidator : IValidateOptions<IngestOptions>
{
    public ValidateOptionsResult Validate(string? name, IngestOptions options)
    {
        var failures = new List<string>();
        if (options.MaxBodyBytes is < 1024 or > 100 * 1024 * 1024)
        {
            failures.Add($"Ingest:{nameof(IngestOptions.MaxBodyBytes)} must be between 1 KiB and 100 MiB.");
        }

        if (options.MaxEventsPerBatch is < 1 or > 10_000)
        {
            failures.Add($"Ingest:{nameof(IngestOptions.MaxEventsPerBatch)} must be between 1 and 10000.");
        }

        if (options.MaxEventBytes < 1024 || options.MaxEventBytes > options.MaxBodyBytes)
        {
            failures.Add($"Ingest:{nameof(IngestOptions.MaxEventBytes)} must be at least 1 KiB and at most {nameof(IngestOptions.MaxBodyBytes)}.");
        }

        if (options.MaxAdmissionWait < TimeSpan.Zero || options.MaxAdmissionWait > TimeSpan.FromSeconds(30))
        {
            failures.Add($"Ingest:{nameof(IngestOptions.MaxAdmissionWait)} must be between 0 and 30 seconds.");
        }

        if (options.MaxApplyLag <= TimeSpan.Zero || options.MinBacklogRecords < 0)
        {
            failures.Add($"Ingest:{nameof(IngestOptions.MaxApplyLag)} must be positive and Ingest:{nameof(IngestOptions.MinBacklogRecords)} not negative.");
        }

        if (options.ReadFenceTimeout < TimeSpan.Zero)
        {
            failures.Add($"Ingest:{nameof(IngestOptions.ReadFenceTimeout)} must not be negative.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
