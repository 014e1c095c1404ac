namespace XRay.Gateway.Options;

/// <summary>The Orleans silo the gateway hosts in embedded mode (localhost clustering).</summary>
public sealed class EmbeddedSiloOptions
{
    public string ClusterId { get; set; } = "xray";

    public string ServiceId { get; set; } = "xray";

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Orleans client gateway port.</summary>
    public int GatewayPort { get; set; } = 30000;
}
