namespace XRay.Grains.Storage.Sqlite;

/// <summary>Tables and unique indexes of the account collections.</summary>
public sealed class SqliteAccountSchema : ISqliteSchema
{
    public string CreateStatements => """
        CREATE TABLE IF NOT EXISTS users (
            userId TEXT PRIMARY KEY,
            email TEXT NOT NULL COLLATE NOCASE,
            passwordHash TEXT NOT NULL,
            createdAt INTEGER NOT NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS ux_users_email ON users(email);
        CREATE TABLE IF NOT EXISTS projects (
            projectId TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            createdBy TEXT NOT NULL,
            createdAt INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS projectMembers (
            projectId TEXT NOT NULL,
            userId TEXT NOT NULL,
            role TEXT NOT NULL,
            createdAt INTEGER NOT NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS ux_projectMembers_project_user ON projectMembers(projectId, userId);
        CREATE INDEX IF NOT EXISTS ix_projectMembers_user ON projectMembers(userId);
        CREATE TABLE IF NOT EXISTS apiKeys (
            keyId TEXT PRIMARY KEY,
            projectId TEXT NOT NULL,
            name TEXT NOT NULL,
            keyHash TEXT NOT NULL,
            prefix TEXT NOT NULL,
            createdAt INTEGER NOT NULL,
            revokedAt INTEGER NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS ux_apiKeys_key ON apiKeys(keyHash);
        CREATE INDEX IF NOT EXISTS ix_apiKeys_project ON apiKeys(projectId);
        """;
}
