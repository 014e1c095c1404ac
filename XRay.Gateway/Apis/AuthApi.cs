using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using XRay.Gateway.Auth;
using XRay.Gateway.Hosting;
using XRay.Gateway.Options;
using XRay.Gateway.Problems;
using XRay.Grains.Ids;
using XRay.Grains.Storage;

namespace XRay.Gateway.Apis;

/// <summary>Registration, login, and the SDK's key check.</summary>
public static class AuthApi
{
    private static readonly string[] CommonPasswords = ["password", "password1", "password123", "1234567890", "qwertyuiop", "iloveyou", "letmein123", "0123456789", "administrator", "passw0rd"];

    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/auth").WithTags("Auth");
        api.MapPost("/register", RegisterAsync).WithName("Register").WithSummary("Create a user account.").AllowAnonymous().WithSmallBody().RequireRateLimiting(RateLimiting.AuthPolicy);
        api.MapPost("/login", LoginAsync).WithName("Login").WithSummary("Exchange email and password for a JWT.").AllowAnonymous().WithSmallBody().RequireRateLimiting(RateLimiting.AuthPolicy);
        api.MapGet("/key", CheckKey).WithName("CheckApiKey").WithSummary("Tell an SDK which project its x-api-key belongs to.")
            .RequireAuthorization(GatewayPolicies.ApiKey).RequireRateLimiting(RateLimiting.SdkPolicy); // every key lookup costs the store
        return app;
    }

    public sealed record RegisterRequest(string? Email, string? Password);

    public sealed record RegisterResponse(string UserId);

    public sealed record LoginRequest(string? Email, string? Password);

    public sealed record LoginResponse(string Token, DateTimeOffset ExpiresAt);

    public sealed record KeyResponse(string ProjectId, string KeyId);

    public static async Task<Results<Created<RegisterResponse>, ValidationProblem, ProblemHttpResult>> RegisterAsync(
        RegisterRequest request, IAccountStore store, PasswordHasher hasher, IOptions<AuthOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var validation = new Validation().Email("email", request.Email);
        CheckPassword(validation, request.Password, request.Email, options.Value.MinPasswordLength);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var now = time.GetUtcNow();
        var user = new UserRecord(ObjectIds.NewId(now), request.Email!, await hasher.HashAsync(request.Password!, cancellationToken), now);
        if (!await store.TryInsertUserAsync(user, cancellationToken))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Email already registered", detail: "An account with this email already exists.");
        }

        return TypedResults.Created((string?)null, new RegisterResponse(user.UserId));
    }

    public static async Task<Results<Ok<LoginResponse>, ValidationProblem, ProblemHttpResult>> LoginAsync(
        LoginRequest request, IAccountStore store, PasswordHasher hasher, TokenIssuer tokens, LoginThrottle throttle, HttpResponse response,
        CancellationToken cancellationToken)
    {
        var validation = new Validation().Required("email", request.Email, 254).Required("password", request.Password, 1024);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        // Before the store and the hash, and for unknown emails alike: the same 429 whether the account exists or not.
        using var attempt = throttle.Acquire(request.Email!);
        if (!attempt.IsAcquired)
        {
            return RateLimiting.Refused(response, attempt);
        }

        var user = await store.FindUserByEmailAsync(request.Email!, cancellationToken);
        // Verify against a decoy when the email is unknown, so both failures take the same time and say the same thing.
        var verified = await hasher.VerifyAsync(request.Password!, user?.PasswordHash ?? hasher.DecoyHash, cancellationToken);
        if (user is null || !verified)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Invalid credentials", detail: "The email or password is incorrect.");
        }

        var (token, expiresAt) = tokens.Issue(user.UserId, user.Email);
        return TypedResults.Ok(new LoginResponse(token, expiresAt));
    }

    public static Ok<KeyResponse> CheckKey(ClaimsPrincipal user) => TypedResults.Ok(new KeyResponse(user.KeyProjectId(), user.KeyId()));

    private static void CheckPassword(Validation validation, string? password, string? email, int minLength)
    {
        if (string.IsNullOrEmpty(password))
        {
            validation.Add("password", "'password' is required.");
            return;
        }

        if (password.Length < minLength)
        {
            validation.Add("password", $"'password' must be at least {minLength} characters.");
        }
        else if (password.Length > 256)
        {
            validation.Add("password", "'password' must be at most 256 characters.");
        }
        else if (password.Distinct().Count() < 4
            || CommonPasswords.Contains(password, StringComparer.OrdinalIgnoreCase)
            || (email is not null && password.Contains(email.Split('@')[0], StringComparison.OrdinalIgnoreCase) && email.Split('@')[0].Length >= 4))
        {
            validation.Add("password", "'password' is too easy to guess: use a longer phrase, unrelated to your email.");
        }
    }
}
