namespace XRay.Grains.Storage;

/// <summary>
/// The seed's <c>traces</c>, <c>steps</c> and <c>data</c> collections: bulk, idempotent writes from the
/// ingest consumers and indexed reads for the query API.
/// </summary>
public interface ITraceStore
{
    /// <summary>Inserts data blob metadata; rows whose <c>dataId</c> exists are ignored.</summary>
    Task InsertDataAsync(IReadOnlyList<DataRecord> data, CancellationToken cancellationToken = default);

    /// <summary>A blob's metadata, or <c>null</c> when the trace has no such blob (yet).</summary>
    Task<DataRecord?> FindDataAsync(string traceId, string dataId, CancellationToken cancellationToken = default);
}
