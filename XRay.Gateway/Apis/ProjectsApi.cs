using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using XRay.Gateway.Auth;
using XRay.Gateway.Hosting;
using XRay.Gateway.Problems;
using XRay.Grains.Accounts;
using XRay.Grains.Ids;
using XRay.Grains.Projects;
using XRay.Grains.Storage;

namespace XRay.Gateway.Apis;

/// <summary>Projects, their API keys and their members. JWT-authenticated; every route checks membership.</summary>
public static class ProjectsApi
{
    public static IEndpointRouteBuilder MapProjectsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/projects").WithTags("Projects").RequireAuthorization().WithSmallBody().RequireRateLimiting(RateLimiting.UserPolicy);
        api.MapGet("/", ListProjectsAsync).WithName("ListProjects").WithSummary("List the projects you belong to.");
        api.MapPost("/", CreateProjectAsync).WithName("CreateProject").WithSummary("Create a project; you become its owner.");
        api.MapPost("/{projectId}/keys", CreateKeyAsync).WithName("CreateApiKey").WithSummary("Create an API key; its secret is shown this once.");
        api.MapGet("/{projectId}/keys", ListKeysAsync).WithName("ListApiKeys").WithSummary("List a project's API keys, without secrets.");
        api.MapDelete("/{projectId}/keys/{keyId}", RevokeKeyAsync).WithName("RevokeApiKey").WithSummary("Revoke an API key; it stops working at once.");
        api.MapPost("/{projectId}/members", AddMemberAsync).WithName("AddMember").WithSummary("Add a registered user to a project.");
        api.MapGet("/{projectId}/members", ListMembersAsync).WithName("ListMembers").WithSummary("List a project's members.");
        api.MapGet("/{projectId}/stats", GetStatsAsync).WithName("GetProjectStats")
            .WithSummary("Get a project's totals (traces by status, steps, data blobs) and its events of the last minute.")
            .WithDescription("Totals are exact and at most a second old. Live figures count from 'live.observingSince', when the server began observing the project.");
        return app;
    }

    public sealed record CreateProjectRequest(string? Name);

    public sealed record ProjectResponse(string ProjectId, string Name);

    public sealed record ProjectSummary(string ProjectId, string Name, string Role);

    public sealed record CreateKeyRequest(string? Name);

    public sealed record CreatedKeyResponse(string KeyId, string Name, string Key, string Prefix);

    public sealed record KeySummary(string KeyId, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

    public sealed record AddMemberRequest(string? Email, string? Role);

    public sealed record MemberResponse(string ProjectId, string UserId, string Role);

    public sealed record ProjectStatsResponse(string ProjectId, TraceCounts Traces, long Steps, long Data, LiveActivity Live);

    public sealed record TraceCounts(long Total, long Running, long Success, long Failure);

    /// <summary>Events the server observed for the project in the last minute; <see cref="ObservingSince"/> is when it began observing.</summary>
    public sealed record LiveActivity(long EventsLastMinute, long StepsLastMinute, double EventsPerSecond, DateTime? LastEventAt, DateTime ObservingSince);

    public static async Task<Ok<IEnumerable<ProjectSummary>>> ListProjectsAsync(ClaimsPrincipal user, IAccountStore store, CancellationToken cancellationToken)
    {
        var projects = await store.ListProjectsOfUserAsync(user.UserId(), cancellationToken);
        return TypedResults.Ok(projects.Select(p => new ProjectSummary(p.ProjectId, p.Name, RoleName(p.Role))));
    }

    public static async Task<Results<Created<ProjectResponse>, ValidationProblem>> CreateProjectAsync(
        CreateProjectRequest request, ClaimsPrincipal user, IAccountStore store, IGrainFactory grains, TimeProvider time, CancellationToken cancellationToken)
    {
        var validation = new Validation().Required("name", request.Name, 100);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var now = time.GetUtcNow();
        var project = new ProjectRecord(ObjectIds.NewId(now), request.Name!.Trim(), user.UserId(), now);
        await store.InsertProjectAsync(project, cancellationToken);
        await grains.GetGrain<IMembershipGrain>(project.ProjectId).Invalidate(); // in case the id was probed before it existed
        return TypedResults.Created($"/api/v1/projects/{project.ProjectId}", new ProjectResponse(project.ProjectId, project.Name));
    }

    public static async Task<Results<Created<CreatedKeyResponse>, ValidationProblem, ProblemHttpResult>> CreateKeyAsync(
        string projectId, CreateKeyRequest request, ClaimsPrincipal user, ProjectAccess access, IAccountStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await access.CheckAsync(projectId, user.UserId(), ProjectRole.Owner) is { } denied)
        {
            return denied;
        }

        var validation = new Validation().Required("name", request.Name, 100);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var now = time.GetUtcNow();
        var key = ApiKeys.NewKey();
        var record = new ApiKeyRecord(ObjectIds.NewId(now), projectId, request.Name!.Trim(), ApiKeys.Hash(key), ApiKeys.PrefixOf(key), now, null);
        await store.InsertApiKeyAsync(record, cancellationToken);
        return TypedResults.Created($"/api/v1/projects/{projectId}/keys", new CreatedKeyResponse(record.KeyId, record.Name, key, record.Prefix));
    }

    public static async Task<Results<Ok<IEnumerable<KeySummary>>, ProblemHttpResult>> ListKeysAsync(
        string projectId, ClaimsPrincipal user, ProjectAccess access, IAccountStore store, CancellationToken cancellationToken)
    {
        if (await access.CheckAsync(projectId, user.UserId(), ProjectRole.Member) is { } denied)
        {
            return denied;
        }

        var keys = await store.ListApiKeysAsync(projectId, cancellationToken);
        return TypedResults.Ok(keys.Select(k => new KeySummary(k.KeyId, k.Name, k.Prefix, k.CreatedAt, k.RevokedAt)));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeKeyAsync(
        string projectId, string keyId, ClaimsPrincipal user, ProjectAccess access, IAccountStore store, IGrainFactory grains, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await access.CheckAsync(projectId, user.UserId(), ProjectRole.Owner) is { } denied)
        {
            return denied;
        }

        var revoked = await store.RevokeApiKeyAsync(projectId, keyId, time.GetUtcNow(), cancellationToken);
        if (revoked is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "API key not found", detail: $"Project '{projectId}' has no key '{keyId}'.");
        }

        await grains.GetGrain<IApiKeyGrain>(revoked.KeyHash).Invalidate();
        return TypedResults.NoContent();
    }

    public static async Task<Results<Created<MemberResponse>, ValidationProblem, ProblemHttpResult>> AddMemberAsync(
        string projectId, AddMemberRequest request, ClaimsPrincipal user, ProjectAccess access, IAccountStore store, IGrainFactory grains, CancellationToken cancellationToken)
    {
        if (await access.CheckAsync(projectId, user.UserId(), ProjectRole.Owner) is { } denied)
        {
            return denied;
        }

        var validation = new Validation().Email("email", request.Email);
        ProjectRole role = ProjectRole.Member;
        if (request.Role is not null && !TryParseRole(request.Role, out role))
        {
            validation.Add("role", "'role' must be 'owner' or 'member'.");
        }

        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var member = await store.FindUserByEmailAsync(request.Email!, cancellationToken);
        if (member is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "User not found", detail: "No registered user has this email; ask them to register first.");
        }

        if (!await grains.GetGrain<IMembershipGrain>(projectId).AddMember(member.UserId, role))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Already a member", detail: "This user already belongs to the project.");
        }

        return TypedResults.Created($"/api/v1/projects/{projectId}/members", new MemberResponse(projectId, member.UserId, RoleName(role)));
    }

    public static async Task<Results<Ok<IEnumerable<MemberResponse>>, ProblemHttpResult>> ListMembersAsync(
        string projectId, ClaimsPrincipal user, ProjectAccess access, IAccountStore store, CancellationToken cancellationToken)
    {
        if (await access.CheckAsync(projectId, user.UserId(), ProjectRole.Member) is { } denied)
        {
            return denied;
        }

        var members = await store.ListMembersAsync(projectId, cancellationToken);
        return TypedResults.Ok(members.Select(m => new MemberResponse(m.ProjectId, m.UserId, RoleName(m.Role))));
    }

    public static async Task<Results<Ok<ProjectStatsResponse>, ProblemHttpResult>> GetStatsAsync(
        string projectId, ClaimsPrincipal user, ProjectAccess access, IGrainFactory grains)
    {
        // A malformed id gets the same 404 as a project the caller is not a member of, as on every project route.
        if (await access.CheckAsync(projectId, user.UserId(), ProjectRole.Member) is { } denied)
        {
            return denied;
        }

        var o = await grains.GetGrain<IProjectGrain>(projectId).GetOverview();
        return TypedResults.Ok(new ProjectStatsResponse(
            projectId, new TraceCounts(o.Traces, o.Running, o.Success, o.Failure), o.Steps, o.Data,
            new LiveActivity(o.EventsLastMinute, o.StepsLastMinute, o.EventsPerSecond, o.LastEventAt?.UtcDateTime, o.ObservingSince.UtcDateTime)));
    }

    private static string RoleName(ProjectRole role) => role == ProjectRole.Owner ? "owner" : "member";

    private static bool TryParseRole(string value, out ProjectRole role)
    {
        role = value switch { "owner" => ProjectRole.Owner, "member" => ProjectRole.Member, _ => (ProjectRole)(-1) };
        return role >= 0;
    }
}
