using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using XRay.Gateway.Auth;
using XRay.Gateway.Options;

namespace XRay.Gateway.Hosting;

/// <summary>
/// Token-bucket limits: SDK traffic per API key, sign-in traffic per client address. A refused request
/// gets 429 with <c>Retry-After</c>, which the SDK honours.
/// </summary>
public static class RateLimiting
{
    public const string SdkPolicy = "sdk";
    public const string AuthPolicy = "auth";

    public static IServiceCollection AddXRayRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration("RateLimits")
            .Validate(o => o.SdkRequestsPerSecond > 0 && o.SdkBurst > 0 && o.AuthRequestsPerSecond > 0 && o.AuthBurst > 0,
                $"RateLimits:{nameof(RateLimitOptions.SdkRequestsPerSecond)}, {nameof(RateLimitOptions.SdkBurst)}, {nameof(RateLimitOptions.AuthRequestsPerSecond)} and {nameof(RateLimitOptions.AuthBurst)} must be positive.")
            .ValidateOnStart();
        services.AddRateLimiter(limiter =>
        {
            limiter.OnRejected = OnRejectedAsync;
            limiter.AddPolicy(SdkPolicy, context =>
            {
                var limits = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                // Partition by the authenticated key id (the limiter runs after authentication): the secret never
                // becomes a dictionary key, and repeating the header cannot move a request to another bucket.
                // Requests without a valid key share their client address's bucket, so spraying random keys is limited too.
                var partition = context.User.FindFirst(ApiKeyAuthenticationHandler.KeyClaim)?.Value
                    ?? "address:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
                return RateLimitPartition.GetTokenBucketLimiter(partition, _ => Bucket(limits.SdkRequestsPerSecond, limits.SdkBurst));
            });
            limiter.AddPolicy(AuthPolicy, context =>
            {
                var limits = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                return RateLimitPartition.GetTokenBucketLimiter(address, _ => Bucket(limits.AuthRequestsPerSecond, limits.AuthBurst));
            });
        });
        return services;
    }

    private static TokenBucketRateLimiterOptions Bucket(int perSecond, int burst) => new()
    {
        TokenLimit = burst,
        TokensPerPeriod = perSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    private static async ValueTask OnRejectedAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
        context.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests",
            detail: $"The rate limit was exceeded; retry after {retryAfter} s.").ExecuteAsync(context.HttpContext).ConfigureAwait(false);
    }
}
