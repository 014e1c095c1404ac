using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using XRay.Sdk.Tests.Fakes;
using XRay.Testing;

namespace XRay.Sdk.Tests.Gateway;

/// <summary>
/// The SDK with its default batch size (50) against real gateway processes whose operator set a batch limit below it:
/// every event must still arrive, read back through the query API, with nothing counted as dropped. Before, every
/// batch was refused (400 or 413) and dropped whole.
/// </summary>
public sealed class GatewayLimitTests
{
    private const int Traces = 3;
    private const int Steps = 30;
    private const int EventsPerTrace = Steps + 2; // the start, the steps, the success

    [Fact]
    public async Task With_a_gateway_batch_limit_of_7_events_every_event_of_batches_of_50_arrives()
    {
        await using var gateway = new GatewayProcess(settings: new Dictionary<string, string> { ["Ingest:MaxEventsPerBatch"] = "7" });
        await RecordAndReadBackAsync(gateway, output: "kept");
    }

    [Fact]
    public async Task With_a_gateway_body_limit_of_20000_bytes_every_event_of_batches_of_50_arrives()
    {
        await using var gateway = new GatewayProcess(settings: new Dictionary<string, string>
        {
            ["Ingest:MaxBodyBytes"] = "20000",
            ["Ingest:MaxEventBytes"] = "16384", // the gateway requires an event limit within the body limit
        });
        await RecordAndReadBackAsync(gateway, output: new string('o', 1200)); // events of ~1.5 KB: a batch of 50 is ~75 KB
    }

    private static async Task RecordAndReadBackAsync(GatewayProcess gateway, string output)
    {
        await gateway.StartAsync();
        using var client = gateway.CreateClient();
        var project = await client.CreateProjectWithKeyAsync(await client.RegisterAndLoginAsync());
        var options = new XRayOptions
        {
            ApiKey = project.ApiKey,
            ProjectId = project.ProjectId,
            BaseUrl = gateway.BaseAddress.ToString(),
            TempDir = TestTracers.NewTempDir(),
            BatchInterval = TimeSpan.FromSeconds(30), // batches close at the default MaxBatchSize of 50 (or on flush)
            RequestTimeout = TimeSpan.FromSeconds(5),
            RetryBaseDelay = TimeSpan.FromMilliseconds(50),
            RetryMaxDelay = TimeSpan.FromMilliseconds(400),
            ShutdownTimeout = TimeSpan.FromSeconds(20),
        };
        Assert.Equal(50, options.MaxBatchSize);

        var traces = new List<Trace>();
        await using (var tracer = new XRayTracer(options))
        {
            for (var t = 0; t < Traces; t++)
            {
                var trace = tracer.CreateTrace($"limited-{t}");
                for (var s = 1; s <= Steps; s++)
                {
                    trace.Step($"step-{s}", kind: "llm", output: output);
                }

                trace.Success(new { t });
                traces.Add(trace);
            }

            Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(60)), "the flush did not deliver everything");
            var stats = tracer.Stats;
            Assert.Equal(0, stats.EventsDropped);
            Assert.Equal(Traces * EventsPerTrace, stats.EventsRecorded);
            Assert.Equal(Traces * EventsPerTrace, stats.EventsSpooled); // parts of a split batch are not counted again
            Assert.Equal(Traces * EventsPerTrace, stats.EventsSent);
        }

        foreach (var trace in traces)
        {
            using var response = await client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/traces/{trace.TraceId}", project.Owner.Token));
            await XRayApi.EnsureAsync(response, HttpStatusCode.OK);
            var stored = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("success", stored.GetProperty("status").GetString());
            var steps = stored.GetProperty("steps").EnumerateArray().ToList();
            Assert.Equal(Enumerable.Range(1, Steps).Select(s => $"step-{s}"), steps.Select(s => s.GetProperty("name").GetString()));
            Assert.All(steps, s => Assert.Equal(output, s.GetProperty("output").GetString()));
        }
    }
}
