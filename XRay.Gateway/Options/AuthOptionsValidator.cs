using Microsoft.Extensions.Options;

namespace XRay.Gateway.Options;

/// <summary>Validates <see cref="AuthOptions"/> at start-up.</summary>
public sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        if (!string.IsNullOrEmpty(options.SigningKey))
        {
            var bytes = new byte[options.SigningKey.Length];
            if (!Convert.TryFromBase64String(options.SigningKey, bytes, out var length) || length < 32)
            {
                failures.Add($"Auth:{nameof(AuthOptions.SigningKey)} must be base64 of at least 32 bytes (generate one with `openssl rand -base64 32`).");
            }
        }

        if (string.IsNullOrWhiteSpace(options.Issuer))
        {
            failures.Add($"Auth:{nameof(AuthOptions.Issuer)} must not be empty.");
        }

        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            failures.Add($"Auth:{nameof(AuthOptions.Audience)} must not be empty.");
        }

        if (options.TokenLifetime < TimeSpan.FromMinutes(1) || options.TokenLifetime > TimeSpan.FromDays(30))
        {
            failures.Add($"Auth:{nameof(AuthOptions.TokenLifetime)} must be between 00:01:00 and 30.00:00:00.");
        }

        if (options.MinPasswordLength is < 8 or > 128)
        {
            failures.Add($"Auth:{nameof(AuthOptions.MinPasswordLength)} must be between 8 and 128.");
        }

        if (options.MaxConcurrentPasswordHashes < 1)
        {
            failures.Add($"Auth:{nameof(AuthOptions.MaxConcurrentPasswordHashes)} must be at least 1.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
