namespace XRay.Grains.Accounts;

/// <summary>What a member may do in a project. Owners manage keys and members; members read.</summary>
public enum ProjectRole
{
    Member = 0,
    Owner = 1,
}
