namespace XRay.Grains.Storage.Sqlite;

/// <summary>Tables and indexes of the trace collections. Times are Unix milliseconds.</summary>
public sealed class SqliteTraceSchema : ISqliteSchema
{
    public string CreateStatements => """
        CREATE TABLE IF NOT EXISTS traces (
            traceId TEXT PRIMARY KEY,
            projectId TEXT NOT NULL,
            name TEXT NULL,
            status TEXT NOT NULL,
            startedAt INTEGER NOT NULL,
            endedAt INTEGER NULL,
            metadata TEXT NULL,
            output TEXT NULL,
            error TEXT NULL,
            stepCount INTEGER NOT NULL DEFAULT 0,
            updatedAt INTEGER NOT NULL) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_traces_project_started ON traces(projectId, startedAt DESC, traceId DESC);
        CREATE TABLE IF NOT EXISTS steps (
            stepId TEXT PRIMARY KEY,
            traceId TEXT NOT NULL,
            projectId TEXT NOT NULL,
            stepNumber INTEGER NOT NULL,
            name TEXT NOT NULL,
            kind TEXT NULL,
            status TEXT NOT NULL,
            startedAt INTEGER NOT NULL,
            endedAt INTEGER NULL,
            document TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_steps_trace_number ON steps(traceId, stepNumber, startedAt);
        CREATE INDEX IF NOT EXISTS ix_steps_project_name ON steps(projectId, name);
        CREATE INDEX IF NOT EXISTS ix_steps_project_started ON steps(projectId, startedAt DESC, stepId DESC);
        CREATE TABLE IF NOT EXISTS data (
            dataId TEXT PRIMARY KEY,
            traceId TEXT NOT NULL,
            projectId TEXT NOT NULL,
            contentType TEXT NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NULL,
            createdAt INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_data_trace ON data(traceId);
        """;
}
