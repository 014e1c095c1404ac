using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using XRay.Grains.Storage.Sqlite;

namespace XRay.LoadTest;

/// <summary>Figures of one query run.</summary>
internal sealed record QueryResult(LoadOptions Options, long Steps, long Traces, TimeSpan SeedTime, Latencies Trace, Latencies FirstPage, Latencies CursorPages, Latencies StepsByKind, Latencies StepsByPath, Latencies Stats);

/// <summary>
/// Query latency on a big project: one 1,000-step trace ingested through the API, plus ~N steps written
/// straight into the gateway's SQLite file with the server's own statements (much faster than pushing a
/// million steps through HTTP on two cores; the rows are identical). Then, one request at a time:
/// GET the 1,000-step trace, GET the first page of 50 traces, and walk pages of 50 by cursor.
/// </summary>
internal static class QueryScenario
{
    private const int Warmup = 10;

    public static async Task<QueryResult> RunAsync(LoadOptions options)
    {
        if (options.Url is not null && options.DatabasePath is null)
        {
            throw new ArgumentException("--scenario query with --url needs --db (the gateway's SQLite file) to seed.");
        }

        await using var target = await Target.StartAsync(options);
        var project = target.Project;
        var bigTrace = await IngestBigTraceAsync(target, options.Batch);

        Console.Error.WriteLine($"seeding {options.SeedSteps:#,0} steps into {target.DatabasePath} ...");
        var started = Stopwatch.GetTimestamp();
        BaselineResult seeded;
        using (var database = RawStoreBaseline.OpenDatabase(target.DatabasePath!))
        {
            var source = new PipelineEvents(project.ProjectId, seed: 7);
            await using var store = new SqliteTraceStore(database);
            seeded = await RawStoreBaseline.WriteAsync(store, source, options.Batch, r => r.Steps >= options.SeedSteps - 1000);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var seedTime = Stopwatch.GetElapsedTime(started);
        using (var check = JsonDocument.Parse(await GetAsync(target, $"api/v1/traces/{bigTrace}")))
        {
            var steps = check.RootElement.GetProperty("steps").GetArrayLength();
            _ = steps == 1000 ? 0 : throw new InvalidOperationException($"the big trace answered {steps} steps, not 1000");
        }

        using (var check = JsonDocument.Parse(await GetAsync(target, $"api/v1/projects/{project.ProjectId}/traces?limit=50")))
        {
            var items = check.RootElement.GetProperty("items").GetArrayLength();
            _ = items == 50 ? 0 : throw new InvalidOperationException($"the first page holds {items} traces, not 50");
        }

        using (var check = JsonDocument.Parse(await GetAsync(target, $"api/v1/projects/{project.ProjectId}/stats")))
        {
            // The seed went through the store's own writer, so the project's exact totals hold it too.
            var steps = check.RootElement.GetProperty("steps").GetInt64();
            _ = steps == seeded.Steps + 1000 ? 0 : throw new InvalidOperationException($"the project's stats count {steps} steps, not {seeded.Steps + 1000}");
        }

        var trace = await MeasureAsync(options.Requests, () => GetAsync(target, $"api/v1/traces/{bigTrace}"));
        var firstPage = await MeasureAsync(options.Requests, () => GetAsync(target, $"api/v1/projects/{project.ProjectId}/traces?limit=50"));
        string? cursor = null;
        var cursorPages = await MeasureAsync(options.Requests, async () =>
        {
            var query = cursor is null ? string.Empty : $"&cursor={cursor}";
            using var page = JsonDocument.Parse(await GetAsync(target, $"api/v1/projects/{project.ProjectId}/traces?limit=50{query}"));
            cursor = page.RootElement.GetProperty("nextCursor").GetString();
        });
        // The step query (POST .../query): a column filter, then a JSON-path filter into each step's output.
        var byKind = await MeasureAsync(options.Requests, () => QueryStepsAsync(target, """{"filters":[{"field":"kind","op":"eq","value":"filter"}],"limit":50}"""));
        var byPath = await MeasureAsync(options.Requests, () => QueryStepsAsync(target, """{"filters":[{"field":"output.kept","op":"gt","value":35}],"limit":50}"""));
        // The project's dashboard figures (GET .../stats): the store's totals, read at most once a second by the project's grain.
        var stats = await MeasureAsync(options.Requests, () => GetAsync(target, $"api/v1/projects/{project.ProjectId}/stats"));
        return new QueryResult(options, seeded.Steps + 1000, (seeded.Events - seeded.Steps) / 2, seedTime, trace, firstPage, cursorPages, byKind, byPath, stats);
    }

    /// <summary>A trace of exactly 1,000 steps, through <c>POST /api/v1/ingest</c> like any other.</summary>
    private static async Task<string> IngestBigTraceAsync(Target target, int batchSize)
    {
        var events = new PipelineEvents(target.Project.ProjectId, seed: 1, minSteps: 1000, maxSteps: 1000);
        var remaining = 1002;
        string? traceId = null;
        while (remaining > 0)
        {
            var batch = events.Next(Math.Min(batchSize, remaining));
            remaining -= batch.Events;
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/ingest") { Content = new ByteArrayContent(batch.Body) };
            request.Headers.Add("x-api-key", target.Project.ApiKey);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await target.Http.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                throw new HttpRequestException($"ingest answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }

            traceId ??= batch.Completed.Count > 0 ? batch.Completed[0].TraceId : null;
        }

        return traceId ?? throw new InvalidOperationException("the 1,000-step trace did not complete");
    }

    private static async Task<Latencies> MeasureAsync(int requests, Func<Task> request)
    {
        var latencies = new Latencies();
        for (var i = 0; i < Warmup + requests; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await request();
            if (i >= Warmup)
            {
                latencies.Add(Stopwatch.GetTimestamp() - started);
            }
        }

        return latencies;
    }

    private static async Task QueryStepsAsync(Target target, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/projects/{target.Project.ProjectId}/query") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", target.Project.Owner.Token);
        using var response = await target.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        using var page = response.IsSuccessStatusCode ? JsonDocument.Parse(text) : throw new HttpRequestException($"query answered {(int)response.StatusCode}: {text}");
        _ = page.RootElement.GetProperty("items").GetArrayLength() == 50 ? 0 : throw new InvalidOperationException("the step query did not fill a page of 50");
    }

    private static async Task<string> GetAsync(Target target, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", target.Project.Owner.Token);
        using var response = await target.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode ? body : throw new HttpRequestException($"GET {path} answered {(int)response.StatusCode}: {body}");
    }
}
