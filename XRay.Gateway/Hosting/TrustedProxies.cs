using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using XRay.Gateway.Options;
using IPNetwork = System.Net.IPNetwork;

namespace XRay.Gateway.Hosting;

/// <summary>
/// Behind a reverse proxy every client arrives from the proxy's address, and would share its buckets (requests, sign-ins
/// and key lookups per client address). The proxies listed in <see cref="ProxyOptions"/> are trusted to name the client
/// in <c>X-Forwarded-For</c> (ASP.NET Core's forwarded-headers middleware); nobody else is, so with none listed the header
/// changes nothing and a client cannot pick its own bucket.
/// </summary>
public static class TrustedProxies
{
    private const string Section = "ForwardedHeaders";

    public static IServiceCollection AddXRayTrustedProxies(this IServiceCollection services)
    {
        services.AddOptions<ProxyOptions>().BindConfiguration(Section)
            .Configure<IConfiguration>((options, configuration) =>
            {
                // One value (an environment variable, say) may list several, comma-separated: binding alone ignores it.
                options.KnownProxies = [.. options.KnownProxies, .. Listed(configuration, nameof(ProxyOptions.KnownProxies))];
                options.KnownNetworks = [.. options.KnownNetworks, .. Listed(configuration, nameof(ProxyOptions.KnownNetworks))];
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ProxyOptions>, ProxyOptionsValidator>());
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProxyOptions>>((forwarded, options) =>
        {
            var proxies = options.Value;
            // With none listed, no header at all: with both lists empty the middleware trusts every sender, and ASP.NET Core
            // runs it without asking when ASPNETCORE_FORWARDEDHEADERS_ENABLED is true (its own switch, which also clears the
            // lists). These options are the ones that middleware reads, so there it then changes nothing either.
            forwarded.ForwardedHeaders = proxies.KnownProxies.Length == 0 && proxies.KnownNetworks.Length == 0
                ? ForwardedHeaders.None
                : ForwardedHeaders.XForwardedFor;
            // Only what is listed: the framework's defaults trust loopback, which a local client could use to spoof.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in proxies.KnownProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            }

            foreach (var network in proxies.KnownNetworks)
            {
                forwarded.KnownIPNetworks.Add(IPNetwork.Parse(network));
            }

            // Walk back through a chain of listed proxies (a CDN, then a load balancer) to the first address not listed.
            forwarded.ForwardLimit = null;
        });
        return services;
    }

    /// <summary>Takes the client's address from <c>X-Forwarded-For</c> when a listed proxy sent it; nothing when none is listed.</summary>
    public static IApplicationBuilder UseTrustedProxies(this IApplicationBuilder app)
    {
        var proxies = app.ApplicationServices.GetRequiredService<IOptions<ProxyOptions>>().Value;
        // With both lists empty the middleware would trust every sender.
        return proxies.KnownProxies.Length == 0 && proxies.KnownNetworks.Length == 0 ? app : app.UseForwardedHeaders();
    }

    private static string[] Listed(IConfiguration configuration, string key) =>
        configuration[$"{Section}:{key}"]?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
}
