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

    /// <summary>
    /// <c>projectStats</c>: each project's exact totals (<see cref="SqliteTraceStore.GetProjectStatsAsync"/>), kept in the
    /// writer's transactions, so they are as durable and as idempotent as the rows. Traces are counted by triggers: an
    /// upsert that inserts fires the insert trigger only, one that takes its <c>DO UPDATE</c> path the update trigger
    /// only, which moves one count when the status changes. Steps and data are not (a trigger per step row would run
    /// at the step rate): <see cref="SqliteTraceWrites"/> adds what it newly inserted, one row per project and transaction.
    /// A store made before gets the table, its triggers and its totals from the rows in one transaction at its next start.
    /// </summary>
    public IReadOnlyList<SqliteAddedTable> AddedTables { get; } = [new("projectStats", """
        CREATE TABLE projectStats (
            projectId TEXT PRIMARY KEY,
            traces INTEGER NOT NULL DEFAULT 0,
            running INTEGER NOT NULL DEFAULT 0,
            success INTEGER NOT NULL DEFAULT 0,
            failure INTEGER NOT NULL DEFAULT 0,
            steps INTEGER NOT NULL DEFAULT 0,
            data INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
        CREATE TRIGGER tr_traces_insert_stats AFTER INSERT ON traces
        BEGIN
            INSERT INTO projectStats (projectId, traces, running, success, failure)
            VALUES (NEW.projectId, 1, NEW.status = 'running', NEW.status = 'success', NEW.status = 'failure')
            ON CONFLICT(projectId) DO UPDATE SET
                traces = traces + 1,
                running = running + excluded.running,
                success = success + excluded.success,
                failure = failure + excluded.failure;
        END;
        CREATE TRIGGER tr_traces_status_stats AFTER UPDATE OF status ON traces WHEN OLD.status IS NOT NEW.status
        BEGIN
            INSERT INTO projectStats (projectId, running, success, failure)
            VALUES (NEW.projectId, (NEW.status = 'running') - (OLD.status = 'running'),
                (NEW.status = 'success') - (OLD.status = 'success'), (NEW.status = 'failure') - (OLD.status = 'failure'))
            ON CONFLICT(projectId) DO UPDATE SET
                running = running + excluded.running,
                success = success + excluded.success,
                failure = failure + excluded.failure;
        END;
        INSERT INTO projectStats (projectId, traces, running, success, failure)
            SELECT projectId, COUNT(*), SUM(status = 'running'), SUM(status = 'success'), SUM(status = 'failure')
            FROM traces WHERE true GROUP BY projectId;
        INSERT INTO projectStats (projectId, steps)
            SELECT projectId, COUNT(*) FROM steps WHERE true GROUP BY projectId
            ON CONFLICT(projectId) DO UPDATE SET steps = excluded.steps;
        INSERT INTO projectStats (projectId, data)
            SELECT projectId, COUNT(*) FROM data WHERE true GROUP BY projectId
            ON CONFLICT(projectId) DO UPDATE SET data = excluded.data;
        """)];
}
