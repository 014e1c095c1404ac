using Microsoft.Extensions.Options;
using XRay.Gateway.Options;

namespace XRay.Gateway.Hosting;

/// <summary>Hosts an Orleans silo inside the gateway process (embedded mode, localhost clustering).</summary>
public static class EmbeddedSiloExtensions
{
    /// <summary>Orleans' <c>GatewayPort</c> value for "open no client gateway".</summary>
    private const int NoClientGateway = 0;

    public static WebApplicationBuilder AddEmbeddedSilo(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection("Orleans").Get<EmbeddedSiloOptions>() ?? new EmbeddedSiloOptions();
        if (options.SiloPort is < 1 or > 65535)
        {
            throw new OptionsValidationException("Orleans", typeof(EmbeddedSiloOptions),
                [$"Orleans:{nameof(EmbeddedSiloOptions.SiloPort)} must be a port between 1 and 65535."]);
        }

        // No client gateway: the gateway calls its grains in-process, and grains trust their callers (tokens, keys and
        // membership are checked before a call), so any local process connecting to one could, say, make itself a
        // project's owner without a credential.
        builder.UseOrleans(silo => silo.UseLocalhostClustering(options.SiloPort, NoClientGateway, serviceId: options.ServiceId, clusterId: options.ClusterId));
        return builder;
    }
}
