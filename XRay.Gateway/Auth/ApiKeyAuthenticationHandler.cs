using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using XRay.Grains.Accounts;

namespace XRay.Gateway.Auth;

/// <summary>Authenticates SDK requests by their <c>x-api-key</c> header, resolved through <see cref="IApiKeyGrain"/>.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IGrainFactory grains)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "x-api-key";
    public const string ProjectClaim = "xray:project";
    public const string KeyClaim = "xray:key";

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

        var identity = await grains.GetGrain<IApiKeyGrain>(ApiKeys.Hash(key!)).Resolve().ConfigureAwait(false);
        if (identity is null)
        {
            return AuthenticateResult.Fail("The API key is unknown or revoked.");
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ProjectClaim, identity.ProjectId), new Claim(KeyClaim, identity.KeyId)], SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync().ConfigureAwait(false)).Failure?.Message;
        await Results.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: "API key required",
            detail: failure ?? $"Send a valid API key in the {HeaderName} header.").ExecuteAsync(Context).ConfigureAwait(false);
    }
}
