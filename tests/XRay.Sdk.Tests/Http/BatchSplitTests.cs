using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using XRay.Sdk.Diagnostics;
using XRay.Sdk.Http;
using XRay.Sdk.Processing;
using XRay.Sdk.Storage;
using XRay.Sdk.Tests.Fakes;
using XRay.Sdk.Uploading;

namespace XRay.Sdk.Tests.Http;

/// <summary>
/// A gateway whose limits are below the SDK's batch (<c>Ingest:MaxEventsPerBatch</c> under <c>MaxBatchSize</c>, or a small
/// <c>Ingest:MaxBodyBytes</c>, or a proxy's): the batch is split and every event still arrives; only a single event too
/// large on its own is dropped, and counted once.
/// </summary>
public sealed class BatchSplitTests : IAsyncLifetime
{
    private FakeGateway _gateway = null!;

    public async ValueTask InitializeAsync() => _gateway = await FakeGateway.StartAsync();

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    /// <summary>Batches close at <c>MaxBatchSize</c> (50) or on flush, never on the interval, so the first one is over the limit.</summary>
    private XRayOptions Options()
    {
        var options = TestTracers.Options(_gateway.BaseAddress);
        options.BatchInterval = TimeSpan.FromSeconds(30);
        return options;
    }

    /// <summary>Each trace: a start, <paramref name="steps"/> steps, a success.</summary>
    private static List<Trace> Record(XRayTracer tracer, int traces, int steps, string output)
    {
        var recorded = new List<Trace>();
        for (var t = 0; t < traces; t++)
        {
            var trace = tracer.CreateTrace($"run-{t}");
            for (var s = 1; s <= steps; s++)
            {
                trace.Step($"step-{s}", output: output);
            }

            trace.Success();
            recorded.Add(trace);
        }

        return recorded;
    }

    private void AssertArrived(IEnumerable<Trace> traces, int steps)
    {
        foreach (var trace in traces)
        {
            Assert.Equal(Enumerable.Range(1, steps).Select(s => $"step-{s}"), _gateway.StepsOf(trace.TraceId).Select(e => e.GetProperty("name").GetString()));
        }
    }

    [Theory]
    [InlineData("maxEventsPerBatch")]
    [InlineData("maxBodyBytes")]
    public async Task A_batch_over_an_advertised_limit_is_split_to_fit_and_later_batches_are_cut_to_it_before_they_are_sent(string limit)
    {
        if (limit == "maxEventsPerBatch")
        {
            _gateway.MaxEventsPerBatch = 7;
        }
        else
        {
            _gateway.MaxBodyBytes = 6000; // events of ~500 bytes: a batch of 50 is ~25 KB
        }

        await using var tracer = new XRayTracer(Options());
        var first = Record(tracer, traces: 3, steps: 30, output: new string('o', 300));
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        AssertArrived(first, 30);
        Assert.Equal(96, _gateway.Events.Count);
        Assert.Equal(1, _gateway.TooLargeRefusals); // the limit was learned from the first refusal
        Assert.Equal(new XRayStats(96, 96, 96, 0, 0, 0, 0, 0, true), tracer.Stats with { Retries = 0 });

        var second = Record(tracer, traces: 2, steps: 30, output: new string('o', 300));
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        AssertArrived(second, 30);
        Assert.Equal(160, _gateway.Events.Count);
        Assert.Equal(1, _gateway.TooLargeRefusals); // spooled in batches that fit: never refused
        Assert.Equal(new XRayStats(160, 160, 160, 0, 0, 0, 0, 0, true), tracer.Stats with { Retries = 0 });
        Assert.All(_gateway.Batches, batch => Assert.InRange(batch.GetProperty("events").GetArrayLength(), 1, limit == "maxEventsPerBatch" ? 7 : 50));
    }

    [Fact]
    public async Task A_413_without_a_limit_is_split_in_halves_until_it_fits_and_only_an_event_too_large_alone_is_dropped()
    {
        _gateway.MaxBodyBytes = 6000;
        _gateway.AdvertiseLimits = false; // a proxy's bare HTML 413

        await using var tracer = new XRayTracer(Options());
        var trace = tracer.CreateTrace("through-a-proxy");
        for (var s = 1; s <= 20; s++)
        {
            trace.Step($"step-{s}", output: new string('o', 400));
            if (s == 10)
            {
                trace.Step("huge", output: new string('h', 7000)); // within the gateway's event limit, over the proxy's body limit
            }
        }

        trace.Success();
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        var names = _gateway.StepsOf(trace.TraceId).Select(e => e.GetProperty("name").GetString()).ToList();
        Assert.Equal(Enumerable.Range(1, 20).Select(s => $"step-{s}"), names);
        Assert.Equal(22, _gateway.Events.Count); // the start, 20 steps, the success
        Assert.Equal(new XRayStats(23, 23, 22, 1, 0, 0, 0, 0, true), tracer.Stats with { Retries = 0 });
    }

    [Fact]
    public async Task The_parts_are_spooled_before_the_refused_batch_is_deleted_and_are_not_counted_as_spooled_again()
    {
        _gateway.MaxEventsPerBatch = 7;
        var storage = new RecordingStorage(new MemoryStorage(10 * 1024 * 1024));
        var counters = new Counters();
        var options = Options();
        using var http = new HttpClient { BaseAddress = _gateway.BaseAddress };
        var uploader = new EventUploader(storage, new ApiClient(http, FakeGateway.ApiKey), new DeliveryPolicy(options, TimeProvider.System, counters, NullLogger.Instance), counters, NullLogger.Instance);
        try
        {
            uploader.Start(Task.CompletedTask);
            var traceId = $"{FakeGateway.ProjectId}-{Guid.CreateVersion7()}";
            uploader.Spool([.. Enumerable.Range(1, 20).Select(n => Encoding.UTF8.GetBytes(
                $$"""{"eventId":"{{Guid.CreateVersion7()}}","type":"step","traceId":"{{traceId}}","timestamp":"2026-01-01T00:00:00Z","name":"step-{{n}}","stepNumber":{{n}}}"""))]);
            await Wait.UntilAsync(() => counters.Snapshot(0, false).EventsSent == 20 && uploader.Pending == 0, "the batch sent in parts");
        }
        finally
        {
            Assert.True(await uploader.StopAsync(new Budget(TimeSpan.FromSeconds(30), TimeProvider.System)));
        }

        var operations = storage.Operations.ToList();
        var original = operations[0];
        Assert.StartsWith("write e_", original, StringComparison.Ordinal);
        Assert.EndsWith("_20", original, StringComparison.Ordinal);
        var parts = operations.Where(o => o.StartsWith("write ", StringComparison.Ordinal)).Skip(1).ToList();
        Assert.Equal(["7", "7", "6"], parts.Select(p => p[(p.LastIndexOf('_') + 1)..]));
        var deleted = operations.IndexOf("delete" + original["write".Length..]);
        Assert.All(parts, part => Assert.True(operations.IndexOf(part) < deleted, $"{part} was written after the original was deleted"));
        Assert.Equal(new XRayStats(0, 20, 20, 0, 0, 0, 0, 0, false), counters.Snapshot(0, false) with { Retries = 0 });
        Assert.Equal(20, _gateway.Events.Count);
    }

    [Fact]
    public void The_events_of_an_envelope_are_read_back_byte_for_byte()
    {
        byte[][] events =
        [
            """{"eventId":"a","output":"]}, \"quoted\" \\ ]","nested":{"list":[1,[2,{"x":"}"}]],"empty":{}}}"""u8.ToArray(),
            """{"eventId":"b","name":"caf\u00e9 \ud83d\ude00 ☕","n":-1.5e3,"t":true,"f":false,"z":null}"""u8.ToArray(),
            """{"eventId":"c"}"""u8.ToArray(),
        ];
        var envelope = Encoding.UTF8.GetBytes("{\"schemaVersion\":1,\"events\":[" + string.Join(",", events.Select(Encoding.UTF8.GetString)) + "]}");

        var read = EventUploader.EventsOf(envelope);

        Assert.NotNull(read);
        Assert.Equal(events, read);
        Assert.Equal(events[..2], EventUploader.EventsOf("""{ "events" : [ {"eventId":"a","output":"]}, \"quoted\" \\ ]","nested":{"list":[1,[2,{"x":"}"}]],"empty":{}}} , {"eventId":"b","name":"caf\u00e9 \ud83d\ude00 ☕","n":-1.5e3,"t":true,"f":false,"z":null} ], "schemaVersion": 1 }"""u8));
        Assert.Equal(events[1..], EventUploader.EventsOf(Encoding.UTF8.GetBytes("{\"other\":{\"events\":[1]},\"events\":[" + Encoding.UTF8.GetString(events[1]) + "," + Encoding.UTF8.GetString(events[2]) + "]}")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"events\":{}}")]
    [InlineData("{\"schemaVersion\":1}")]
    [InlineData("{\"schemaVersion\":1,\"events\":[{\"eventId\":\"a\"},{\"eventId\":")]
    public void What_is_not_an_envelope_is_not_split(string entry) => Assert.Null(EventUploader.EventsOf(Encoding.UTF8.GetBytes(entry)));

    [Fact]
    public void Runs_fit_both_limits_and_an_event_too_large_alone_is_a_run_of_its_own()
    {
        var empty = """{"schemaVersion":1,"events":[]}"""u8.Length;
        List<byte[]> events = [.. new[] { 10, 10, 10, 10, 200, 10, 10, 10, 10, 10 }.Select(n => new byte[n])];

        Assert.Equal([(0, 3), (3, 3), (6, 3), (9, 1)], EventUploader.Chunk(events, maxEvents: 3, maxBodyBytes: long.MaxValue));
        // 10-byte events: an envelope of n takes empty + 11n - 1 bytes; at most empty + 32 fits three
        Assert.Equal([(0, 3), (3, 1), (4, 1), (5, 3), (8, 2)], EventUploader.Chunk(events, maxEvents: int.MaxValue, maxBodyBytes: empty + 32));
        Assert.Equal([(0, 2), (2, 2), (4, 1), (5, 2), (7, 2), (9, 1)], EventUploader.Chunk(events, maxEvents: 2, maxBodyBytes: empty + 32));
        Assert.Equal([(0, 10)], EventUploader.Chunk(events, maxEvents: 10, maxBodyBytes: long.MaxValue));
    }

    [Theory]
    [InlineData(413, "<html>413</html>", null, null)]
    [InlineData(413, """{"status":413,"maxBodyBytes":20000}""", null, 20000L)]
    [InlineData(400, """{"type":"https://xray.local/problems/too-many-events","status":400,"maxEventsPerBatch":7}""", 7, null)]
    [InlineData(400, """{"type":"https://xray.local/problems/too-many-events","status":400}""", null, null)]
    [InlineData(400, """{"status":400,"maxEventsPerBatch":7}""", 7, null)]
    [InlineData(400, """{"type":"https://xray.local/problems/too-many-events","maxEventsPerBatch":0}""", null, null)]
    public void A_refusal_for_size_is_recognized_with_the_limit_it_advertises(int status, string body, int? maxEvents, long? maxBodyBytes) =>
        Assert.Equal(new BatchTooLarge(maxEvents, maxBodyBytes), BatchTooLarge.Read(status, body));

    [Theory]
    [InlineData(400, """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"Invalid batch","status":400,"detail":"schemaVersion must be 1."}""")]
    [InlineData(400, "not json")]
    [InlineData(401, """{"maxEventsPerBatch":7}""")]
    [InlineData(403, """{"maxBodyBytes":7}""")]
    public void Any_other_refusal_is_not_one_for_size(int status, string body) => Assert.Null(BatchTooLarge.Read(status, body));

    /// <summary>Records, in order, what was written to and deleted from the spool.</summary>
    private sealed class RecordingStorage(IStorageAdapter inner) : IStorageAdapter
    {
        public ConcurrentQueue<string> Operations { get; } = new();

        public bool IsDurable => inner.IsDurable;

        public bool WritesToDisk => inner.WritesToDisk;

        public string Location => inner.Location;

        public long Size => inner.Size;

        public int Count => inner.Count;

        public bool IsInMemory(string key) => inner.IsInMemory(key);

        public bool TryWrite(string key, ReadOnlySpan<byte> data)
        {
            var written = inner.TryWrite(key, data);
            if (written)
            {
                Operations.Enqueue($"write {key}");
            }

            return written;
        }

        public byte[]? Read(string key) => inner.Read(key);

        public void Lease(string key) => inner.Lease(key);

        public bool Delete(string key)
        {
            Operations.Enqueue($"delete {key}");
            return inner.Delete(key);
        }

        public IReadOnlyList<string> List(string prefix) => inner.List(prefix);
    }
}
