using Microsoft.Data.Sqlite;
using XRay.Grains.Accounts;

namespace XRay.Grains.Storage.Sqlite;

/// <summary>The account collections in SQLite. Timestamps are stored as Unix milliseconds.</summary>
public sealed class SqliteAccountStore(SqliteDatabase database) : IAccountStore
{
    private const int SqliteConstraintUnique = 2067;
    private const int SqliteConstraintPrimaryKey = 1555;

    public async Task<bool> TryInsertUserAsync(UserRecord user, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO users (userId, email, passwordHash, createdAt) VALUES ($id, $email, $hash, $at)";
        command.Parameters.AddWithValue("$id", user.UserId);
        command.Parameters.AddWithValue("$email", user.Email);
        command.Parameters.AddWithValue("$hash", user.PasswordHash);
        command.Parameters.AddWithValue("$at", user.CreatedAt.ToUnixTimeMilliseconds());
        return await TryExecuteUniqueAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task<UserRecord?> FindUserByEmailAsync(string email, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT userId, email, passwordHash, createdAt FROM users WHERE email = $email";
        command.Parameters.AddWithValue("$email", email);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new UserRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), FromMs(reader.GetInt64(3)))
            : null;
    }

    public async Task InsertProjectAsync(ProjectRecord project, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var insertProject = connection.CreateCommand())
        {
            insertProject.CommandText = "INSERT INTO projects (projectId, name, createdBy, createdAt) VALUES ($id, $name, $by, $at)";
            insertProject.Parameters.AddWithValue("$id", project.ProjectId);
            insertProject.Parameters.AddWithValue("$name", project.Name);
            insertProject.Parameters.AddWithValue("$by", project.CreatedBy);
            insertProject.Parameters.AddWithValue("$at", project.CreatedAt.ToUnixTimeMilliseconds());
            await insertProject.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var insertOwner = connection.CreateCommand())
        {
            AddMemberParameters(insertOwner, new MemberRecord(project.ProjectId, project.CreatedBy, ProjectRole.Owner, project.CreatedAt));
            await insertOwner.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<UserProjectRecord>> ListProjectsOfUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT p.projectId, p.name, m.role, p.createdAt
            FROM projectMembers m JOIN projects p ON p.projectId = m.projectId
            WHERE m.userId = $user ORDER BY p.createdAt, p.projectId
            """;
        command.Parameters.AddWithValue("$user", userId);
        var result = new List<UserProjectRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(new UserProjectRecord(reader.GetString(0), reader.GetString(1), ParseRole(reader.GetString(2)), FromMs(reader.GetInt64(3))));
        }

        return result;
    }

    public async Task<IReadOnlyList<MemberRecord>> ListMembersAsync(string projectId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT projectId, userId, role, createdAt FROM projectMembers WHERE projectId = $project ORDER BY createdAt";
        command.Parameters.AddWithValue("$project", projectId);
        var result = new List<MemberRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(new MemberRecord(reader.GetString(0), reader.GetString(1), ParseRole(reader.GetString(2)), FromMs(reader.GetInt64(3))));
        }

        return result;
    }

    public async Task<bool> TryInsertMemberAsync(MemberRecord member, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        AddMemberParameters(command, member);
        return await TryExecuteUniqueAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task InsertApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO apiKeys (keyId, projectId, name, keyHash, prefix, createdAt, revokedAt)
            VALUES ($id, $project, $name, $hash, $prefix, $at, NULL)
            """;
        command.Parameters.AddWithValue("$id", key.KeyId);
        command.Parameters.AddWithValue("$project", key.ProjectId);
        command.Parameters.AddWithValue("$name", key.Name);
        command.Parameters.AddWithValue("$hash", key.KeyHash);
        command.Parameters.AddWithValue("$prefix", key.Prefix);
        command.Parameters.AddWithValue("$at", key.CreatedAt.ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<ApiKeyRecord?> FindApiKeyByHashAsync(string keyHash, CancellationToken cancellationToken = default)
    {
        var keys = await QueryKeysAsync("keyHash = $value", keyHash, cancellationToken).ConfigureAwait(false);
        return keys.Count == 0 ? null : keys[0];
    }

    public Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string projectId, CancellationToken cancellationToken = default) =>
        QueryKeysAsync("projectId = $value", projectId, cancellationToken);

    public async Task<ApiKeyRecord?> RevokeApiKeyAsync(string projectId, string keyId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE apiKeys SET revokedAt = COALESCE(revokedAt, $at)
            WHERE projectId = $project AND keyId = $id
            RETURNING keyId, projectId, name, keyHash, prefix, createdAt, revokedAt
            """;
        command.Parameters.AddWithValue("$at", revokedAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$project", projectId);
        command.Parameters.AddWithValue("$id", keyId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadKey(reader) : null;
    }

    private async Task<IReadOnlyList<ApiKeyRecord>> QueryKeysAsync(string where, string value, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT keyId, projectId, name, keyHash, prefix, createdAt, revokedAt FROM apiKeys WHERE {where} ORDER BY createdAt, keyId";
        command.Parameters.AddWithValue("$value", value);
        var result = new List<ApiKeyRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(ReadKey(reader));
        }

        return result;
    }

    private static ApiKeyRecord ReadKey(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        FromMs(reader.GetInt64(5)),
        reader.IsDBNull(6) ? null : FromMs(reader.GetInt64(6)));

    private static void AddMemberParameters(SqliteCommand command, MemberRecord member)
    {
        command.CommandText = "INSERT INTO projectMembers (projectId, userId, role, createdAt) VALUES ($project, $user, $role, $at)";
        command.Parameters.AddWithValue("$project", member.ProjectId);
        command.Parameters.AddWithValue("$user", member.UserId);
        command.Parameters.AddWithValue("$role", FormatRole(member.Role));
        command.Parameters.AddWithValue("$at", member.CreatedAt.ToUnixTimeMilliseconds());
    }

    private static async Task<bool> TryExecuteUniqueAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (SqliteException ex) when (ex.SqliteExtendedErrorCode is SqliteConstraintUnique or SqliteConstraintPrimaryKey)
        {
            return false;
        }
    }

    private static string FormatRole(ProjectRole role) => role == ProjectRole.Owner ? "owner" : "member";

    private static ProjectRole ParseRole(string role) => role == "owner" ? ProjectRole.Owner : ProjectRole.Member;

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
