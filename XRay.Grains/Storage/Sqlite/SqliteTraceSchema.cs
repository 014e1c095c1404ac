namespace XRay.Grains.Storage.Sqlite;

/// <summary>
/// Tables and indexes of the trace collections. Times are Unix milliseconds. A step query filtered on a name is answered
/// from <c>ix_steps_project_name_started</c> (<see cref="SqliteStepQuery"/> names it): newest first, only the ties of a
/// millisecond sorted by step id. With the older <c>(projectId, name)</c> index SQLite chose to walk every step of the
/// project by time and look each one up: on 360,000 steps 137 ms for a common name and 37 s (cold) for a name no step
/// has, against 0.9 ms and 0.04 ms now. The index's start time costs 3 % more write-ahead log per step; with the step
/// id in it too (then SQLite picks it unasked) it was 12 %. Stores made before get it, and lose the older index, at
/// their next start. Columns added since the first release (<see cref="AddedColumns"/>) are added to older stores then too.
/// </summary>
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
            updatedAt INTEGER NOT NULL,
            namedAt INTEGER NULL) WITHOUT ROWID;
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
        CREATE INDEX IF NOT EXISTS ix_steps_project_name_started ON steps(projectId, name, startedAt DESC);
        DROP INDEX IF EXISTS ix_steps_project_name;
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

    /// <summary><c>namedAt</c>: the time of the <c>trace</c> event whose name and metadata a trace holds (<see cref="TraceUpsert.Merge"/>).</summary>
    public IReadOnlyList<SqliteAddedColumn> AddedColumns { get; } = [new("traces", "namedAt", "INTEGER NULL")];
}
