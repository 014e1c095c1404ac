namespace XRay.Gateway.Options;

/// <summary>Request rate limits (section <c>RateLimits</c>), token buckets refilled every second unless said otherwise.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Ingest and presign requests per second per API key.</summary>
    public int SdkRequestsPerSecond { get; set; } = 1000;

    /// <summary>Burst of SDK requests per API key above the steady rate.</summary>
    public int SdkBurst { get; set; } = 2000;

    /// <summary>
    /// Lookups per second per client address of API keys this server has not yet seen answered (a new key, or one made
    /// up): spent before the store is asked, since authentication runs before the request limits.
    /// </summary>
    public int KeyLookupsPerSecond { get; set; } = 10;

    /// <summary>Burst of such lookups per client address.</summary>
    public int KeyLookupBurst { get; set; } = 100;

    /// <summary>Register and login requests per second per client address (an IPv6 client's /64).</summary>
    public int AuthRequestsPerSecond { get; set; } = 10;

    /// <summary>Burst of register and login requests per client address.</summary>
    public int AuthBurst { get; set; } = 100;

    /// <summary>Login attempts per minute per email, whatever the client address and whether the account exists.</summary>
    public int LoginsPerEmailPerMinute { get; set; } = 6;

    /// <summary>Burst of login attempts per email.</summary>
    public int LoginBurstPerEmail { get; set; } = 10;

    /// <summary>Requests per second per signed-in user (JWT subject) to the user endpoints.</summary>
    public int UserRequestsPerSecond { get; set; } = 100;

    /// <summary>Burst of requests per signed-in user.</summary>
    public int UserBurst { get; set; } = 200;
}
