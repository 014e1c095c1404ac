using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using XRay.Gateway.Auth;
using XRay.Gateway.Options;

namespace XRay.Gateway.Hosting;

/// <summary>
/// Token-bucket limits: SDK traffic per API key, user traffic per signed-in user, sign-in traffic per client address
/// (and logins per email, <see cref="LoginThrottle"/>; the lookups of unseen API keys per client address, before them,
/// <see cref="KeyLookupThrottle"/>). A refused request gets 429 with <c>Retry-After</c>, which the SDK honours.
/// </summary>
public static class RateLimiting
{
    public const string SdkPolicy = "sdk";
    public const string AuthPolicy = "auth";
    public const string UserPolicy = "user";

    public static IServiceCollection AddXRayRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration("RateLimits")
            .Validate(o => o.SdkRequestsPerSecond > 0 && o.SdkBurst > 0 && o.AuthRequestsPerSecond > 0 && o.AuthBurst > 0,
                $"RateLimits:{nameof(RateLimitOptions.SdkRequestsPerSecond)}, {nameof(RateLimitOptions.SdkBurst)}, {nameof(RateLimitOptions.AuthRequestsPerSecond)} and {nameof(RateLimitOptions.AuthBurst)} must be positive.")
            .Validate(o => o.KeyLookupsPerSecond > 0 && o.KeyLookupBurst > 0,
                $"RateLimits:{nameof(RateLimitOptions.KeyLookupsPerSecond)} and {nameof(RateLimitOptions.KeyLookupBurst)} must be positive.")
            .Validate(o => o.UserRequestsPerSecond > 0 && o.UserBurst > 0,
                $"RateLimits:{nameof(RateLimitOptions.UserRequestsPerSecond)} and {nameof(RateLimitOptions.UserBurst)} must be positive.")
            .Validate(o => o.LoginsPerEmailPerMinute is > 0 and <= 60_000 && o.LoginBurstPerEmail > 0,
                $"RateLimits:{nameof(RateLimitOptions.LoginsPerEmailPerMinute)} must be between 1 and 60000 and {nameof(RateLimitOptions.LoginBurstPerEmail)} positive.")
            .ValidateOnStart();
        services.TryAddSingleton<LoginThrottle>();
        services.TryAddSingleton<KeyLookupThrottle>();
        services.AddRateLimiter(limiter =>
        {
            limiter.OnRejected = OnRejectedAsync;
            limiter.AddPolicy(SdkPolicy, context =>
            {
                var limits = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                // Partition by the authenticated key id (the limiter runs after authentication): the secret never
                // becomes a dictionary key, and repeating the header cannot move a request to another bucket.
                // Requests without a valid key share their client address's bucket, so spraying random keys is limited too
                // (and their store lookups before that, KeyLookupThrottle).
                var partition = context.User.FindFirst(ApiKeyAuthenticationHandler.KeyClaim)?.Value
                    ?? AddressPartition(context);
                return RateLimitPartition.GetTokenBucketLimiter(partition, _ => PerSecond(limits.SdkRequestsPerSecond, limits.SdkBurst));
            });
            limiter.AddPolicy(UserPolicy, context =>
            {
                var limits = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                // By the validated token's subject: only the server issues those, so the buckets are at most one per
                // active user (idle ones are dropped). Callers without a valid token share their address's bucket.
                var partition = context.User.FindFirst(JwtRegisteredClaimNames.Sub)?.Value is { } userId
                    ? "user:" + userId
                    : AddressPartition(context);
                return RateLimitPartition.GetTokenBucketLimiter(partition, _ => PerSecond(limits.UserRequestsPerSecond, limits.UserBurst));
            });
            limiter.AddPolicy(AuthPolicy, context =>
            {
                var limits = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                var address = ClientAddress.PartitionKey(context.Connection.RemoteIpAddress);
                return RateLimitPartition.GetTokenBucketLimiter(address, _ => PerSecond(limits.AuthRequestsPerSecond, limits.AuthBurst));
            });
        });
        return services;
    }

    /// <summary>A token bucket of <paramref name="burst"/> that refills <paramref name="tokensPerPeriod"/> every <paramref name="period"/>, queueing nothing.</summary>
    internal static TokenBucketRateLimiterOptions Bucket(int tokensPerPeriod, TimeSpan period, int burst) => new()
    {
        TokenLimit = burst,
        TokensPerPeriod = tokensPerPeriod,
        ReplenishmentPeriod = period,
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    private static TokenBucketRateLimiterOptions PerSecond(int perSecond, int burst) => Bucket(perSecond, TimeSpan.FromSeconds(1), burst);

    /// <summary>The bucket of a caller the SDK and user policies cannot name (no valid key or token): its client address.</summary>
    private static string AddressPartition(HttpContext context) => "address:" + ClientAddress.PartitionKey(context.Connection.RemoteIpAddress);

    private static async ValueTask OnRejectedAsync(OnRejectedContext context, CancellationToken cancellationToken) =>
        await Refused(context.HttpContext.Response, context.Lease).ExecuteAsync(context.HttpContext).ConfigureAwait(false);

    /// <summary>The answer to a request a limiter refused: 429 with <c>Retry-After</c> (set on <paramref name="response"/>).</summary>
    public static ProblemHttpResult Refused(HttpResponse response, RateLimitLease lease)
    {
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
        response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests",
            detail: $"The rate limit was exceeded; retry after {retryAfter} s.");
    }
}
