using Microsoft.Extensions.Options;

namespace XRay.Grains.Options;

/// <summary>Validates <see cref="SqliteStoreOptions"/> at start-up.</summary>
public sealed class SqliteStoreOptionsValidator : IValidateOptions<SqliteStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, SqliteStoreOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            failures.Add($"{nameof(SqliteStoreOptions.DataDirectory)} must name a directory.");
        }

        if (string.IsNullOrWhiteSpace(options.FileName) || options.FileName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            failures.Add($"{nameof(SqliteStoreOptions.FileName)} must be a plain file name.");
        }

        if (options.BusyTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{nameof(SqliteStoreOptions.BusyTimeout)} must be positive.");
        }

        if (options.WriterCacheSizeMiB is < 1 or > 4096)
        {
            failures.Add($"{nameof(SqliteStoreOptions.WriterCacheSizeMiB)} must be between 1 and 4096.");
        }

        if (options.WalAutoCheckpointPages is < 100 or > 1_000_000)
        {
            failures.Add($"{nameof(SqliteStoreOptions.WalAutoCheckpointPages)} must be between 100 and 1000000.");
        }

        if (options.MmapSizeMiB is < 0 or > 1_048_576)
        {
            failures.Add($"{nameof(SqliteStoreOptions.MmapSizeMiB)} must be between 0 and 1048576 (1 TiB).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
