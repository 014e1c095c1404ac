using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using XRay.Gateway.Hosting;
using XRay.Gateway.Options;

namespace XRay.Gateway.Auth;

/// <summary>
/// Login attempts per email (token bucket), so guessing one account's password from many addresses is slowed too. Every
/// email gets a bucket whether or not its account exists: a refusal tells nothing about the account.
/// </summary>
/// <remarks>
/// Memory stays bounded: <see cref="PartitionedRateLimiter"/> drops a bucket about ten seconds after it is full again,
/// so a spray of random emails keeps each one for a refill period plus that, at a rate the per-address limit bounds.
/// </remarks>
public sealed class LoginThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    public LoginThrottle(IOptions<RateLimitOptions> options)
    {
        var limits = options.Value;
        var bucket = RateLimiting.Bucket(1, TimeSpan.FromMinutes(1) / limits.LoginsPerEmailPerMinute, limits.LoginBurstPerEmail);
        _limiter = PartitionedRateLimiter.Create<string, string>(email => RateLimitPartition.GetTokenBucketLimiter(email, _ => bucket));
    }

    /// <summary>Takes one attempt for <paramref name="email"/>; a refused lease carries the wait as its retry-after metadata.</summary>
    public RateLimitLease Acquire(string email) => _limiter.AttemptAcquire(Normalize(email));

    // The stores compare emails case-insensitively, so "A@x" and "a@x" must share a bucket.
    private static string Normalize(string email) => email.Trim().ToUpperInvariant();

    public void Dispose() => _limiter.Dispose();
}
