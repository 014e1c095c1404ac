using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using XRay.Gateway.Auth;
using XRay.Gateway.Blobs.Hosting;
using XRay.Gateway.Options;
using XRay.Gateway.Problems;
using XRay.Gateway.Traces;
using XRay.Grains.Hosting;
using XRay.Grains.Ingest;
using XRay.Grains.Options;

namespace XRay.Gateway.Hosting;

/// <summary>Registers the gateway: auth, problem details, OpenAPI, health, metrics, and the embedded silo.</summary>
public static class GatewayServiceCollectionExtensions
{
    public static WebApplicationBuilder AddXRayGateway(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ProblemDefaults.Customize);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProblemDetailsWriter, AnyAcceptProblemWriter>()); // after the framework's writer
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.AddOpenApi();
        services.AddHealthChecks();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true); // so bad JSON reaches the problem writer with its reason
        services.TryAddSingleton(TimeProvider.System);

        services.AddXRaySqliteStore();
        builder.AddEmbeddedSilo(); // before the consumer: hosted services start in order and stop in reverse
        services.AddXRayAuth();
        services.AddXRayIngest();
        services.AddXRayRateLimits();
        services.AddXRayTrustedProxies();
        services.AddXRayBlobs();
        builder.AddXRayMetrics();
        return builder;
    }

    /// <summary>The ingest endpoint's limits, the read fence, and (embedded mode) the in-process consumer.</summary>
    public static IServiceCollection AddXRayIngest(this IServiceCollection services)
    {
        services.AddOptions<IngestOptions>().BindConfiguration("Ingest").ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IngestOptions>, IngestOptionsValidator>());
        services.TryAddSingleton<ReadFence>();
        services.TryAddSingleton<IngestBackpressure>();
        services.TryAddSingleton<IngestRecordCodec>();
        services.AddXRayEmbeddedIngestLog();
        services.AddOptions<EmbeddedIngestLogOptions>().Configure<IOptions<SqliteStoreOptions>>((log, storage) =>
        {
            // The log lives in the data directory unless configured elsewhere.
            if (log.Directory == new EmbeddedIngestLogOptions().Directory)
            {
                log.Directory = Path.Combine(storage.Value.DataDirectory, "ingest-log");
            }
        });
        services.AddXRayIngestConsumer();
        return services;
    }

    private const string CallerScheme = "Caller";

    public static IServiceCollection AddXRayAuth(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration("Auth").ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>());
        services.TryAddSingleton<PasswordHasher>();
        services.TryAddSingleton<JwtSigningKey>();
        services.TryAddSingleton<TokenIssuer>();
        services.TryAddSingleton<ProjectAccess>();

        // The default scheme picks by header, so authentication (and the rate limiter after it) sees SDK callers
        // by their key and users by their token; each endpoint's policy still names the scheme it accepts.
        services.AddAuthentication(CallerScheme)
            .AddPolicyScheme(CallerScheme, "API key or bearer token", o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.ContainsKey(ApiKeyAuthenticationHandler.HeaderName) ? ApiKeyAuthenticationHandler.SchemeName : JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<JwtSigningKey, IOptions<AuthOptions>>((jwt, key, auth) =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = auth.Value.Issuer,
                    ValidAudience = auth.Value.Audience,
                    IssuerSigningKey = key.Key,
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256], // pinned: "none" and asymmetric confusions are refused
                    RequireSignedTokens = true,
                    RequireExpirationTime = true,
                    ValidateIssuer = true,
                    ValidateAudience = true,
                    ValidateLifetime = true,
                    ValidateIssuerSigningKey = true,
                    ClockSkew = TimeSpan.FromSeconds(30),
                    NameClaimType = "sub",
                };
                jwt.Events = new JwtBearerEvents { OnChallenge = WriteChallengeProblemAsync };
            });
        services.AddAuthorizationBuilder()
            .SetDefaultPolicy(new AuthorizationPolicyBuilder(JwtBearerDefaults.AuthenticationScheme).RequireAuthenticatedUser().RequireClaim("sub").Build())
            .AddPolicy(GatewayPolicies.ApiKey, p => p.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser());
        return services;
    }

    private static async Task WriteChallengeProblemAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        context.Response.Headers.WWWAuthenticate = "Bearer";
        var detail = context.AuthenticateFailure switch
        {
            SecurityTokenExpiredException => "The token has expired; log in again.",
            null => "Send a bearer token from POST /api/v1/auth/login in the Authorization header.",
            _ => "The token is invalid.",
        };
        await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Authentication required", detail: detail)
            .ExecuteAsync(context.HttpContext).ConfigureAwait(false);
    }
}
