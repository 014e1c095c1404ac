using Microsoft.Extensions.Options;
using XRay.Gateway.Options;

namespace XRay.Gateway.Hosting;

/// <summary>Hosts an Orleans silo inside the gateway process (embedded mode, localhost clustering).</summary>
public static class EmbeddedSiloExtensions
{
    public static WebApplicationBuilder AddEmbeddedSilo(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection("Orleans").Get<EmbeddedSiloOptions>() ?? new EmbeddedSiloOptions();
        if (options.SiloPort is < 1 or > 65535 || options.GatewayPort is < 1 or > 65535 || options.SiloPort == options.GatewayPort)
        {
            throw new OptionsValidationException("Orleans", typeof(EmbeddedSiloOptions),
                [$"Orleans:{nameof(EmbeddedSiloOptions.SiloPort)} and Orleans:{nameof(EmbeddedSiloOptions.GatewayPort)} must be distinct ports between 1 and 65535."]);
        }

        builder.UseOrleans(silo => silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId));
        return builder;
    }
}
