using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using XRay.Gateway.Traces;
using XRay.Grains.Ingest;
using XRay.Grains.Options;
using XRay.Grains.Storage;
using XRay.Grains.Storage.Sqlite;

namespace XRay.Benchmarks;

/// <summary>
/// The server's side of <c>GET /api/v1/traces/:traceId</c> for a trace of 1,000 steps (~600 bytes of document each), in a
/// store that also holds 20,000 other steps: the trace's row, its data, then its steps streamed into the response
/// (<see cref="TraceJson.WriteTraceAsync"/>), against the baseline of reading the same documents' bytes with
/// Microsoft.Data.Sqlite and copying them into a buffer (what any answer must at least do).
/// </summary>
[MemoryDiagnoser]
public class TraceReadBenchmarks
{
    private const string Project = "6751a0f0c2b1e3d4f5a6b7c8";
    private const string BigTrace = Project + "-0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

    private string _directory = null!;
    private SqliteDatabase _database = null!;
    private SqliteTraceStore _store = null!;
    private readonly MemoryStream _body = new(1 << 20);

    [GlobalSetup]
    public async Task Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "xray-bench-read-" + Guid.NewGuid().ToString("N"));
        _database = new SqliteDatabase(Options.Create(new SqliteStoreOptions { DataDirectory = _directory }), [new SqliteTraceSchema()]);
        _store = new SqliteTraceStore(_database);
        for (var trace = 0; trace < 21; trace++)
        {
            // The big trace's steps interleave with the others', as they arrive from concurrent pipelines.
            var traceId = trace == 0 ? BigTrace : $"{Project}-0193a1b2-c3d4-7e5f-8a9b-{trace:x12}";
            await _store.WriteAsync(new TraceWriteBatch([Upsert(traceId)], [], []));
        }

        for (var number = 1; number <= 1000; number++)
        {
            var steps = new List<StepRecord>(21);
            for (var trace = 0; trace < 21; trace++)
            {
                var traceId = trace == 0 ? BigTrace : $"{Project}-0193a1b2-c3d4-7e5f-8a9b-{trace:x12}";
                steps.Add(Step(traceId, trace, number));
            }

            await _store.WriteAsync(new TraceWriteBatch([], steps, []));
        }

        await _store.FlushAsync();
        if (await CountAsync() != 1000)
        {
            throw new InvalidOperationException("the big trace does not hold 1,000 steps");
        }
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _store.DisposeAsync();
        _database.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "baseline: the documents' bytes (Microsoft.Data.Sqlite, copied out)")]
    public async Task<long> DocumentBytes()
    {
        _body.SetLength(0);
        await using var connection = await _database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT document FROM steps WHERE traceId = $trace ORDER BY stepNumber, startedAt, stepId";
        command.Parameters.AddWithValue("$trace", BigTrace);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            _body.Write(reader.GetFieldValue<byte[]>(0));
        }

        return _body.Length;
    }

    [Benchmark(Description = "GET trace: trace, data, steps streamed as JSON (TraceJson)")]
    public async Task<long> GetTrace()
    {
        _body.SetLength(0);
        var trace = await _store.GetTraceAsync(BigTrace) ?? throw new InvalidOperationException("no trace");
        var data = await _store.GetDataAsync(BigTrace);
        await TraceJson.WriteTraceAsync(_body, trace, _store.ReadStepDocumentsAsync(BigTrace), data, CancellationToken.None);
        return _body.Length;
    }

    private async Task<int> CountAsync()
    {
        await GetTrace();
        using var document = JsonDocument.Parse(_body.ToArray());
        return document.RootElement.GetProperty("steps").GetArrayLength();
    }

    private static TraceUpsert Upsert(string traceId) =>
        new(traceId, Project, "product-search", "running", 1_764_583_200_000, null, """{"user":"u-42"}""", null, null, 1_764_583_200_000);

    private static StepRecord Step(string traceId, int trace, int number)
    {
        var stepId = $"0193a1b2-{trace:x4}-7e5f-8a9b-{number:x12}";
        var started = 1_764_583_200_000 + (number * 40);
        var document = $$"""{"stepId":"{{stepId}}","stepNumber":{{number}},"name":"rank-candidates","kind":"llm","status":"ok","startedAt":"2026-12-01T10:00:00.04Z","endedAt":"2026-12-01T10:00:00.075Z","durationMs":35,"input":{"query":"wireless headphones","limit":20,"filters":["price<100","in-stock"]},"output":{"kept":3,"best":"sku-{{number}}881"},"candidates":[{"id":"sku-1","score":0.91},{"id":"sku-2","score":0.87},{"id":"sku-3","score":0.52}],"filters":{"minScore":0.6,"dropped":1},"reasoning":"Kept the candidates scoring above the threshold; sku-3 fell below 0.6 and was dropped.","metadata":{"model":"ranker-v3","tokens":412},"dataIds":null,"error":null}""";
        return new StepRecord(stepId, traceId, number, "rank-candidates", "llm", "ok", started, started + 35, System.Text.Encoding.UTF8.GetBytes(document));
    }
}
