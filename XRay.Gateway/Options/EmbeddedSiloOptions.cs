namespace XRay.Gateway.Options;

/// <summary>The Orleans silo the gateway hosts in embedded mode (localhost clustering).</summary>
public sealed class EmbeddedSiloOptions
{
    public string ClusterId { get; set; } = "xray";

    public string ServiceId { get; set; } = "xray";

    /// <summary>Silo-to-silo port (on loopback). There is no Orleans client gateway: nothing outside the process may call the grains.</summary>
    public int SiloPort { get; set; } = 11111;
}
