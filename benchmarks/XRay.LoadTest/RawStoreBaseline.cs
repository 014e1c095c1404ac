using System.Diagnostics;
using System.Text.Json;
using XRay.Grains.Ids;
using XRay.Grains.Ingest;
using XRay.Grains.Options;
using XRay.Grains.Storage;
using XRay.Grains.Storage.Sqlite;
using XRay.Grains.Traces;

namespace XRay.LoadTest;

/// <summary>What the store alone sustains: events per second and rows (trace upserts + steps) per second.</summary>
internal sealed record BaselineResult(long Events, long Rows, long Steps, TimeSpan WriteTime)
{
    public double EventsPerSecond => Events / WriteTime.TotalSeconds;

    public double RowsPerSecond => Rows / WriteTime.TotalSeconds;
}

/// <summary>
/// The raw-store ceiling: the same generated events, parsed and folded exactly as the consumer and trace grains
/// do (<see cref="IngestEventParser"/>, <see cref="TraceFold"/>), merged as <see cref="TraceStoreWriter"/> merges,
/// and written through the server's own <see cref="SqliteTraceStore.WriteAsync"/> (same schema, statements,
/// pragmas) in 1,000-event transactions, made durable with <see cref="SqliteTraceStore.FlushAsync"/> as often as the
/// consumer does (beside the writes), in-process with no HTTP, log or grains, after 50 untimed warm-up transactions,
/// with server GC as the gateway.
/// Only the writes are timed; generating and parsing the events is not.
/// </summary>
internal static class RawStoreBaseline
{
    private const int EventsPerTransaction = 1000;

    /// <summary>Transactions written before timing starts: the server is measured after a warm-up too.</summary>
    private const int WarmupTransactions = 50;

    /// <summary>Made durable as the server's consumer does before it commits offsets (<c>Ingest:Consumer:CommitInterval</c>).</summary>
    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(200);

    public static async Task<BaselineResult> RunAsync(long events, int batchSize)
    {
        var directory = Directory.CreateTempSubdirectory("xray-raw-store-");
        try
        {
            using var database = OpenDatabase(Path.Combine(directory.FullName, "xray.db"));
            var source = new PipelineEvents(ObjectIds.NewId(DateTimeOffset.UtcNow), seed: 4242);
            await using var store = new SqliteTraceStore(database);
            return await WriteAsync(store, source, batchSize, r => r.Events >= events, WarmupTransactions);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    /// <summary>The store of a database file with the trace schema (created if missing), as the server opens it.</summary>
    public static SqliteDatabase OpenDatabase(string path) => new(
        Microsoft.Extensions.Options.Options.Create(new SqliteStoreOptions { DataDirectory = Path.GetDirectoryName(path)!, FileName = Path.GetFileName(path) }),
        [new SqliteTraceSchema()]);

    /// <summary>
    /// Writes generated events in 1,000-event transactions until <paramref name="done"/>; times only the writes. The
    /// first <paramref name="warmupTransactions"/> transactions warm the JIT and the page cache and are neither timed nor
    /// counted. Flushes run beside the writes, as the server's consumer runs them beside its batches; a write waits
    /// for a flush only when the next one is due before the last has finished.
    /// </summary>
    public static async Task<BaselineResult> WriteAsync(SqliteTraceStore store, PipelineEvents source, int batchSize, Func<BaselineResult, bool> done, int warmupTransactions = 0)
    {
        var pending = new List<IngestEvent>(EventsPerTransaction + batchSize);
        var result = new BaselineResult(0, 0, 0, TimeSpan.Zero);
        var writeTimeAtFlush = TimeSpan.Zero;
        var flushing = Task.CompletedTask;
        for (var transaction = 0; !done(result); transaction++)
        {
            while (pending.Count < EventsPerTransaction)
            {
                pending.AddRange(Parse(source.Next(batchSize)));
            }

            var batch = Merge(pending.Take(EventsPerTransaction));
            pending.RemoveRange(0, EventsPerTransaction);
            var started = Stopwatch.GetTimestamp();
            await store.WriteAsync(batch);
            if (transaction < warmupTransactions)
            {
                continue;
            }

            var writeTime = result.WriteTime + Stopwatch.GetElapsedTime(started);
            if (writeTimeAtFlush + FlushInterval <= writeTime)
            {
                await flushing;
                flushing = store.FlushAsync();
                writeTimeAtFlush = writeTime;
            }

            result = new BaselineResult(result.Events + EventsPerTransaction, result.Rows + batch.Traces.Count + batch.Steps.Count,
                result.Steps + batch.Steps.Count, result.WriteTime + Stopwatch.GetElapsedTime(started));
        }

        var finalFlush = Stopwatch.GetTimestamp();
        await flushing;
        await store.FlushAsync();
        return result with { WriteTime = result.WriteTime + Stopwatch.GetElapsedTime(finalFlush) };
    }

    private static List<IngestEvent> Parse(IngestBatch batch)
    {
        using var document = JsonDocument.Parse(batch.Body);
        var parsed = new List<IngestEvent>(batch.Events);
        foreach (var element in document.RootElement.GetProperty("events").EnumerateArray())
        {
            if (!IngestEventParser.TryParse(element, null, allowData: false, int.MaxValue, out var evt, out var error))
            {
                throw new InvalidOperationException($"generated an invalid event: {error}");
            }

            parsed.Add(evt!);
        }

        return parsed;
    }

    // One fold per trace, then one merged batch: what the trace grains and the group-committing writer produce.
    private static TraceWriteBatch Merge(IEnumerable<IngestEvent> events)
    {
        var perTrace = events.GroupBy(e => e.TraceId, StringComparer.Ordinal).Select(trace => TraceFold.ToBatch([.. trace])).ToList();
        return new TraceWriteBatch([.. perTrace.SelectMany(b => b.Traces)], [.. perTrace.SelectMany(b => b.Steps)], [.. perTrace.SelectMany(b => b.Data)]);
    }
}
