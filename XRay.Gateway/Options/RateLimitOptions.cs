namespace XRay.Gateway.Options;

/// <summary>Request rate limits (section <c>RateLimits</c>), token buckets refilled every second.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Ingest and presign requests per second per API key.</summary>
    public int SdkRequestsPerSecond { get; set; } = 1000;

    /// <summary>Burst of SDK requests per API key above the steady rate.</summary>
    public int SdkBurst { get; set; } = 2000;

    /// <summary>Register and login requests per second per client address.</summary>
    public int AuthRequestsPerSecond { get; set; } = 10;

    /// <summary>Burst of register and login requests per client address.</summary>
    public int AuthBurst { get; set; } = 100;
}
