namespace XRay.Gateway.Options;

/// <summary>
/// Reverse proxies trusted to name the client in <c>X-Forwarded-For</c> (section <c>ForwardedHeaders</c>). Empty by
/// default: the header is then ignored, and every limit per client address uses the connection's address. Each list is
/// given item by item (<c>ForwardedHeaders:KnownProxies:0</c>, ...) or as one comma-separated value.
/// </summary>
public sealed class ProxyOptions
{
    /// <summary>Addresses of trusted proxies, e.g. <c>10.0.0.5</c> or <c>fd00::5</c>.</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Networks of trusted proxies in CIDR notation, e.g. <c>10.0.0.0/8</c>.</summary>
    public string[] KnownNetworks { get; set; } = [];
}
