namespace XRay.Grains.Storage;

/// <summary>
/// The seed's <c>traces</c>, <c>steps</c> and <c>data</c> collections: bulk, idempotent writes from the
/// ingest consumers and indexed reads for the query API.
/// </summary>
public interface ITraceStore
{
    /// <summary>
    /// Writes a batch in one transaction: traces upserted (merged), steps and data inserted with existing ids
    /// ignored, and each trace's step count raised by its newly inserted steps. Readers see it when this returns;
    /// it survives a crash of this process; it survives power loss after the next <see cref="FlushAsync"/>.
    /// Returns how many steps and data rows were newly inserted (for metrics; no extra query is spent on it).
    /// </summary>
    Task<TraceWriteCounts> WriteAsync(TraceWriteBatch batch, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes every write that completed before the call durable against power loss. The ingest consumer calls it
    /// before committing log offsets, so one sync covers many write transactions. A no-op where every write is
    /// already durable when it returns (MongoDB with its journaled write concern).
    /// </summary>
    Task FlushAsync(CancellationToken cancellationToken = default);

    /// <summary>Inserts data blob metadata durably; rows whose <c>dataId</c> exists are ignored.</summary>
    Task InsertDataAsync(IReadOnlyList<DataRecord> data, CancellationToken cancellationToken = default);

    /// <summary>A blob's metadata, or <c>null</c> when the trace has no such blob (yet).</summary>
    Task<DataRecord?> FindDataAsync(string traceId, string dataId, CancellationToken cancellationToken = default);

    Task<TraceRecord?> GetTraceAsync(string traceId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The trace's step documents (<see cref="StepRecord.Document"/> as UTF-8 JSON, the query API's form of each step)
    /// ordered by step number, then start time, then step id; streamed: a trace of any size is read without holding all
    /// its steps in memory. Only the documents are read: <c>GET /api/v1/traces/:traceId</c> copies them into its answer
    /// as they are, and materializing the other columns as strings cost as much as the read (docs/benchmarks.md).
    /// </summary>
    IAsyncEnumerable<ReadOnlyMemory<byte>> ReadStepDocumentsAsync(string traceId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<DataRecord>> GetDataAsync(string traceId, CancellationToken cancellationToken = default);

    /// <summary>A page of a project's traces, newest first; at most <see cref="TraceQuery.Limit"/> items.</summary>
    Task<IReadOnlyList<TraceRecord>> ListTracesAsync(string projectId, TraceQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// A page of the project's steps matching every filter, newest first (startedAt DESC, stepId DESC), after
    /// <see cref="StepQuery.After"/>; at most <see cref="StepQuery.Limit"/> items. Always scoped to the project.
    /// </summary>
    /// <exception cref="NotSupportedException">The store cannot evaluate one of the filters (see docs/query.md).</exception>
    Task<IReadOnlyList<StepRecord>> QueryStepsAsync(string projectId, StepQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// The project's exact totals (<see cref="ProjectStats"/>) as of the writes completed before the call; all zero for a
    /// project with nothing stored. Cheap on SQLite (one row kept by the writer); counted at read time on MongoDB (docs/storage.md).
    /// </summary>
    Task<ProjectStats> GetProjectStatsAsync(string projectId, CancellationToken cancellationToken = default);
}
