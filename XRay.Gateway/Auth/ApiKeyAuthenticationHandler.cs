using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using XRay.Gateway.Hosting;
using XRay.Grains.Accounts;

namespace XRay.Gateway.Auth;

/// <summary>
/// Authenticates SDK requests by their <c>x-api-key</c> header, resolved through <see cref="IApiKeyGrain"/>. A key not
/// seen before is looked up only within its client address's budget (<see cref="KeyLookupThrottle"/>); past it the
/// endpoint answers 429.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IGrainFactory grains,
    KeyLookupThrottle lookups)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "x-api-key";
    public const string ProjectClaim = "xray:project";
    public const string KeyClaim = "xray:key";

    private const string UnknownOrRevoked = "The API key is unknown or revoked.";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(HeaderName, out var values) || values.Count == 0)
        {
            return AuthenticateResult.NoResult();
        }

        var key = values[0];
        if (!ApiKeys.HasValidShape(key))
        {
            return AuthenticateResult.Fail("The x-api-key header does not hold an X-Ray API key.");
        }

        var hash = ApiKeys.Hash(key!);
        var remembered = lookups.Remembered(hash);
        if (remembered is false)
        {
            return AuthenticateResult.Fail(UnknownOrRevoked);
        }

        if (remembered is null)
        {
            var lease = lookups.AcquireLookup(Context.Connection.RemoteIpAddress);
            if (!lease.IsAcquired)
            {
                return AuthenticateResult.Fail(new LookupRefused(lease));
            }

            lease.Dispose();
        }

        var identity = await grains.GetGrain<IApiKeyGrain>(hash).Resolve().ConfigureAwait(false);
        if (remembered != (identity is not null))
        {
            lookups.Remember(hash, identity is not null); // a new key, or a revoked one
        }

        if (identity is null)
        {
            return AuthenticateResult.Fail(UnknownOrRevoked);
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ProjectClaim, identity.ProjectId), new Claim(KeyClaim, identity.KeyId)], SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync().ConfigureAwait(false)).Failure;
        if (failure is LookupRefused refused)
        {
            await RateLimiting.Refused(Response, refused.Lease).ExecuteAsync(Context).ConfigureAwait(false);
            return;
        }

        await Results.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: "API key required",
            detail: failure?.Message ?? $"Send a valid API key in the {HeaderName} header.").ExecuteAsync(Context).ConfigureAwait(false);
    }

    /// <summary>The client address's budget of key lookups is spent: the key was not looked up, and the caller gets 429.</summary>
    private sealed class LookupRefused(RateLimitLease lease) : Exception("Too many unknown API keys from this address.")
    {
        public RateLimitLease Lease { get; } = lease;
    }
}
