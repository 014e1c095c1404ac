using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;

namespace XRay.Gateway.Auth;

/// <summary>Who is calling: the user behind a JWT, or the project behind an API key.</summary>
public static class Caller
{
    /// <summary>The user id (<c>sub</c>) of a JWT-authenticated caller.</summary>
    public static string UserId(this ClaimsPrincipal principal) =>
        principal.FindFirstValue(JwtRegisteredClaimNames.Sub) ?? throw new InvalidOperationException("The endpoint requires an authenticated user.");

    /// <summary>The project of an API-key-authenticated caller.</summary>
    public static string KeyProjectId(this ClaimsPrincipal principal) =>
        principal.FindFirstValue(ApiKeyAuthenticationHandler.ProjectClaim) ?? throw new InvalidOperationException("The endpoint requires an API key.");

    /// <summary>The key id of an API-key-authenticated caller.</summary>
    public static string KeyId(this ClaimsPrincipal principal) =>
        principal.FindFirstValue(ApiKeyAuthenticationHandler.KeyClaim) ?? throw new InvalidOperationException("The endpoint requires an API key.");
}
