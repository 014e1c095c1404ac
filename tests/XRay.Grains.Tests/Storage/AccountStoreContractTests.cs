using XRay.Grains.Accounts;
using XRay.Grains.Storage;
using static XRay.Grains.Tests.Storage.StoreIds;

namespace XRay.Grains.Tests.Storage;

/// <summary>
/// The behaviour every <see cref="IAccountStore"/> must show. An implementation's test class inherits this and
/// opens a fresh, empty store per test; one that needs a server skips itself (<c>Assert.Skip</c>) in <see cref="CreateStore"/>.
/// </summary>
public abstract class AccountStoreContractTests
{
    private const long T0 = 1_760_000_000_123;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Opens the store under test on empty storage.</summary>
    protected abstract IAccountStore CreateStore();

    [Fact]
    public async Task An_email_is_taken_whatever_its_case()
    {
        var store = CreateStore();
        var ada = new UserRecord(NewObjectId(), "Ada@Example.com", "$argon2id$hash-1", At(T0));

        Assert.True(await store.TryInsertUserAsync(ada, Ct));
        Assert.False(await store.TryInsertUserAsync(new UserRecord(NewObjectId(), "ada@example.COM", "$argon2id$hash-2", At(T0 + 1)), Ct));

        Assert.Equal(ada, await store.FindUserByEmailAsync("ADA@example.com", Ct));
        Assert.Equal(ada, await store.FindUserByEmailAsync("Ada@Example.com", Ct));
        Assert.Null(await store.FindUserByEmailAsync("bob@example.com", Ct));
    }

    [Fact]
    public async Task Only_ascii_letters_fold_in_emails()
    {
        // As SQLite's NOCASE: U+212A KELVIN SIGN lower-cases to an ASCII 'k' elsewhere, and must not take kate's address.
        var store = CreateStore();
        var kelvin = new UserRecord(NewObjectId(), "\u212Aate@example.com", "$argon2id$hash-1", At(T0));
        var kate = new UserRecord(NewObjectId(), "kate@example.com", "$argon2id$hash-2", At(T0 + 1));

        Assert.True(await store.TryInsertUserAsync(kelvin, Ct));
        Assert.True(await store.TryInsertUserAsync(kate, Ct));

        Assert.Equal(kate, await store.FindUserByEmailAsync("KATE@example.com", Ct));
        Assert.Equal(kelvin, await store.FindUserByEmailAsync("\u212Aate@example.com", Ct));
    }

    [Fact]
    public async Task Inserting_a_project_makes_its_creator_the_owner()
    {
        var store = CreateStore();
        var creator = NewObjectId();
        var project = new ProjectRecord(NewObjectId(), "checkout", creator, At(T0));

        await store.InsertProjectAsync(project, Ct);

        Assert.Equal([new MemberRecord(project.ProjectId, creator, ProjectRole.Owner, At(T0))], await store.ListMembersAsync(project.ProjectId, Ct));
        Assert.Equal([new UserProjectRecord(project.ProjectId, "checkout", ProjectRole.Owner, At(T0))], await store.ListProjectsOfUserAsync(creator, Ct));
    }

    [Fact]
    public async Task A_project_insert_that_fails_makes_no_one_a_member()
    {
        // A creation that fails half-way must leave no owner's rights behind (on a project that does not exist, or on
        // another creator's). An id already taken is a failure every store can be made to show.
        var store = CreateStore();
        var creator = NewObjectId();
        var project = new ProjectRecord(NewObjectId(), "taken", creator, At(T0));
        await store.InsertProjectAsync(project, Ct);
        var other = NewObjectId();

        await Assert.ThrowsAnyAsync<Exception>(() => store.InsertProjectAsync(project with { Name = "again", CreatedBy = other, CreatedAt = At(T0 + 1) }, Ct));

        Assert.Equal([new MemberRecord(project.ProjectId, creator, ProjectRole.Owner, At(T0))], await store.ListMembersAsync(project.ProjectId, Ct));
        Assert.Empty(await store.ListProjectsOfUserAsync(other, Ct));
        Assert.Equal([new UserProjectRecord(project.ProjectId, "taken", ProjectRole.Owner, At(T0))], await store.ListProjectsOfUserAsync(creator, Ct));
    }

    [Fact]
    public async Task A_user_sees_exactly_the_projects_they_belong_to_oldest_first()
    {
        var store = CreateStore();
        var user = NewObjectId();
        var other = NewObjectId();
        var owned = new ProjectRecord(NewObjectId(), "owned", user, At(T0 + 10));
        var joined = new ProjectRecord(NewObjectId(), "joined", other, At(T0));
        var foreign = new ProjectRecord(NewObjectId(), "foreign", other, At(T0 + 5));
        foreach (var project in new[] { owned, joined, foreign })
        {
            await store.InsertProjectAsync(project, Ct);
        }

        Assert.True(await store.TryInsertMemberAsync(new MemberRecord(joined.ProjectId, user, ProjectRole.Member, At(T0 + 20)), Ct));

        Assert.Equal(
            [
                new UserProjectRecord(joined.ProjectId, "joined", ProjectRole.Member, At(T0)),
                new UserProjectRecord(owned.ProjectId, "owned", ProjectRole.Owner, At(T0 + 10)),
            ],
            await store.ListProjectsOfUserAsync(user, Ct));
        Assert.Empty(await store.ListProjectsOfUserAsync(NewObjectId(), Ct));
    }

    [Fact]
    public async Task A_user_is_a_member_of_a_project_at_most_once()
    {
        var store = CreateStore();
        var owner = NewObjectId();
        var project = new ProjectRecord(NewObjectId(), "p", owner, At(T0));
        await store.InsertProjectAsync(project, Ct);
        var member = new MemberRecord(project.ProjectId, NewObjectId(), ProjectRole.Member, At(T0 + 1));

        Assert.True(await store.TryInsertMemberAsync(member, Ct));
        Assert.False(await store.TryInsertMemberAsync(member with { CreatedAt = At(T0 + 2) }, Ct));
        Assert.False(await store.TryInsertMemberAsync(new MemberRecord(project.ProjectId, owner, ProjectRole.Member, At(T0 + 3)), Ct));

        var members = await store.ListMembersAsync(project.ProjectId, Ct);
        Assert.Equal([owner, member.UserId], members.Select(m => m.UserId));
        Assert.Equal(ProjectRole.Owner, members[0].Role);
        Assert.Empty(await store.ListMembersAsync(NewObjectId(), Ct));
    }

    [Fact]
    public async Task An_api_key_is_found_by_its_hash_and_listed_by_project()
    {
        var store = CreateStore();
        var projectId = NewObjectId();
        var first = Key(projectId, "ci", At(T0));
        var second = Key(projectId, "prod", At(T0 + 1));
        var foreign = Key(NewObjectId(), "other", At(T0));
        foreach (var key in new[] { second, foreign, first })
        {
            await store.InsertApiKeyAsync(key, Ct);
        }

        Assert.Equal(second, await store.FindApiKeyByHashAsync(second.KeyHash, Ct));
        Assert.Null(await store.FindApiKeyByHashAsync("no-such-hash", Ct));
        Assert.Equal([first, second], await store.ListApiKeysAsync(projectId, Ct));
    }

    [Fact]
    public async Task Revoking_returns_the_key_keeps_the_first_revocation_time_and_respects_the_project()
    {
        var store = CreateStore();
        var key = Key(NewObjectId(), "ci", At(T0));
        await store.InsertApiKeyAsync(key, Ct);

        Assert.Null(await store.RevokeApiKeyAsync(NewObjectId(), key.KeyId, At(T0 + 5), Ct));
        Assert.Null((await store.FindApiKeyByHashAsync(key.KeyHash, Ct))!.RevokedAt);
        Assert.Null(await store.RevokeApiKeyAsync(key.ProjectId, NewObjectId(), At(T0 + 5), Ct));

        var revoked = key with { RevokedAt = At(T0 + 10) };
        Assert.Equal(revoked, await store.RevokeApiKeyAsync(key.ProjectId, key.KeyId, At(T0 + 10), Ct));
        Assert.Equal(revoked, await store.RevokeApiKeyAsync(key.ProjectId, key.KeyId, At(T0 + 20), Ct));
        Assert.Equal(revoked, await store.FindApiKeyByHashAsync(key.KeyHash, Ct));
        Assert.Equal([revoked], await store.ListApiKeysAsync(key.ProjectId, Ct));
    }

    private static ApiKeyRecord Key(string projectId, string name, DateTimeOffset createdAt) =>
        new(NewObjectId(), projectId, name, Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()), "xr_" + name, createdAt, null);
}
