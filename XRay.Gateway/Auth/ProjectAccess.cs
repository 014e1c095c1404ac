using Microsoft.AspNetCore.Http.HttpResults;
using XRay.Grains.Accounts;
using XRay.Grains.Ids;

namespace XRay.Gateway.Auth;

/// <summary>
/// Membership checks for user endpoints. A project the caller does not belong to answers 404, exactly
/// as one that does not exist, so ids cannot be probed; a member acting as owner gets 403.
/// </summary>
public sealed class ProjectAccess(IGrainFactory grains)
{
    /// <summary>Returns <c>null</c> when the caller may proceed, otherwise the problem to answer with.</summary>
    public async Task<ProblemHttpResult?> CheckAsync(string projectId, string userId, ProjectRole required)
    {
        var role = ObjectIds.IsValid(projectId)
            ? await grains.GetGrain<IMembershipGrain>(projectId).GetRole(userId).ConfigureAwait(false)
            : null;
        if (role is null)
        {
            return ProjectNotFound(projectId);
        }

        return role < required
            ? TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Owner role required", detail: "Only project owners may manage keys and members.")
            : null;
    }

    public static ProblemHttpResult ProjectNotFound(string projectId) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Project not found", detail: $"No project '{projectId}' that you are a member of.");
}
