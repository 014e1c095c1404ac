using System.Net;
using Microsoft.Extensions.Options;

namespace XRay.Gateway.Options;

/// <summary>Validates <see cref="ProxyOptions"/> at start-up.</summary>
public sealed class ProxyOptionsValidator : IValidateOptions<ProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, ProxyOptions options)
    {
        var failures = new List<string>();
        foreach (var proxy in options.KnownProxies.Where(p => !IPAddress.TryParse(p, out _)))
        {
            failures.Add($"ForwardedHeaders:{nameof(ProxyOptions.KnownProxies)} holds '{proxy}', which is not an IP address such as 10.0.0.5 or fd00::5.");
        }

        foreach (var network in options.KnownNetworks.Where(n => !IPNetwork.TryParse(n, out _)))
        {
            failures.Add($"ForwardedHeaders:{nameof(ProxyOptions.KnownNetworks)} holds '{network}', which is not a network in CIDR notation such as 10.0.0.0/8.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
