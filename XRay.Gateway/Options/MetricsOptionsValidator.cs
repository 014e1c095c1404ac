using Microsoft.Extensions.Options;

namespace XRay.Gateway.Options;

/// <summary>Validates <see cref="MetricsOptions"/> at start-up.</summary>
public sealed class MetricsOptionsValidator : IValidateOptions<MetricsOptions>
{
    public ValidateOptionsResult Validate(string? name, MetricsOptions options)
    {
        if (options.Enabled && (string.IsNullOrWhiteSpace(options.Path) || !options.Path.StartsWith('/') || options.Path.Length < 2
            || options.Path.StartsWith("/api/", StringComparison.OrdinalIgnoreCase) || options.Path.Any(c => char.IsWhiteSpace(c) || c is '?' or '#')))
        {
            return ValidateOptionsResult.Fail(
                $"Metrics:{nameof(MetricsOptions.Path)} must be a path such as /metrics: starting with '/', outside /api/, without spaces, '?' or '#'.");
        }

        return ValidateOptionsResult.Success;
    }
}
