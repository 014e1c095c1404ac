using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace XRay.LoadTest;

/// <summary>What the clients saw: events ACKed (202) in total and inside the measured window, and ACK latencies.</summary>
internal sealed class IngestTally
{
    private long _ackedTotal;
    private long _ackedInWindow;
    private long _requests;
    private long _retried;
    private long _failed;
    private long _bytes;

    /// <summary>From when the batch was due (open loop) or sent (closed loop) to its ACK.</summary>
    public Latencies Ack { get; } = new();

    /// <summary>
    /// From when the batch was handed to the HTTP client to its ACK: what an SDK on another machine waits. Without
    /// the tool's own send lateness, which on a machine shared with the gateway is part scheduling of the tool.
    /// </summary>
    public Latencies AckFromSend { get; } = new();

    /// <summary>The gateway's own time for each ACK in the window, from its <c>Server-Timing</c> header.</summary>
    public Latencies ServerAck { get; } = new();

    /// <summary>
    /// Open loop: how late each send left after its due time (the tool's timer wake-up and scheduling on the
    /// shared cores). It is part of the client-observed ACK latency, by design (no coordinated omission).
    /// </summary>
    public Latencies SendLateness { get; } = new();

    public long AckedTotal => Interlocked.Read(ref _ackedTotal);

    public long AckedInWindow => Interlocked.Read(ref _ackedInWindow);

    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>429/503 answers, each retried after <c>Retry-After</c>.</summary>
    public long Retried => Interlocked.Read(ref _retried);

    public long Failed => Interlocked.Read(ref _failed);

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The gateway's <c>Server-Timing</c> phases (milliseconds) of each ACK in the window.</summary>
    public ServerPhases Phases { get; } = new();

    public void Acked(IngestBatch batch, bool inWindow, long latencyTicks, long fromSendTicks, IReadOnlyDictionary<string, double>? timing)
    {
        Interlocked.Add(ref _ackedTotal, batch.Events);
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _bytes, batch.Body.Length);
        if (inWindow)
        {
            Interlocked.Add(ref _ackedInWindow, batch.Events);
            Ack.Add(latencyTicks);
            AckFromSend.Add(fromSendTicks);
            if (timing is not null && timing.TryGetValue("app", out var app))
            {
                ServerAck.Add((long)(app * Stopwatch.Frequency / 1000));
                Phases.Add(timing);
            }
        }
    }

    public void Retry() => Interlocked.Increment(ref _retried);

    public void Fail() => Interlocked.Increment(ref _failed);
}

/// <summary>
/// The clients: each sends one batch at a time. Closed loop by default (next batch right after the ACK, which
/// finds the maximum rate); with a target rate, open loop: batches are due on a fixed schedule and latency
/// counts from when a batch was due, so a stalled server is not hidden by clients that waited (coordinated omission).
/// </summary>
internal sealed class IngestDriver(HttpClient http, string projectId, string apiKey, LoadOptions options, QueryabilityProbe? probe)
{
    private readonly Pacer? _pacer = options.Rate is null ? null : new Pacer();

    public IngestTally Tally { get; } = new();

    /// <summary>Runs warm-up plus the measured window; returns when every client has stopped.</summary>
    public async Task RunAsync(long startTicks)
    {
        await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(client => Task.Run(() => ClientAsync(client, startTicks))));
        _pacer?.Dispose();
    }

    private async Task ClientAsync(int client, long startTicks)
    {
        var events = new PipelineEvents(projectId, seed: client);
        var windowStart = startTicks + Ticks(options.Warmup);
        var end = windowStart + Ticks(options.Duration);
        var interval = options.Rate is { } rate ? Ticks(TimeSpan.FromSeconds(options.Batch * options.Clients / rate)) : 0;

        // Spread the clients' schedules over one interval so they do not fire in lockstep.
        var due = startTicks + (interval * client / options.Clients);

        // Each batch is generated before it is due, as an SDK has its batch ready: generating it is not ACK latency.
        var batch = events.Next(options.Batch);
        while (true)
        {
            if (_pacer is not null && due > Stopwatch.GetTimestamp())
            {
                await _pacer.WaitUntilAsync(due);
            }

            var sent = interval > 0 ? due : Stopwatch.GetTimestamp();
            if (sent >= end)
            {
                return;
            }

            if (interval > 0 && sent >= windowStart)
            {
                Tally.SendLateness.Add(Stopwatch.GetTimestamp() - sent);
            }

            due += interval;
            var handedOver = Stopwatch.GetTimestamp();
            if (await SendAsync(batch) is (true, var timing))
            {
                var acked = Stopwatch.GetTimestamp();
                Tally.Acked(batch, sent >= windowStart, acked - sent, acked - handedOver, timing);
                probe?.Watch(batch.Completed, acked);
            }

            batch = events.Next(options.Batch);
        }
    }

    /// <summary>
    /// POSTs a batch until it is ACKed; 429/503 are retried as the SDK does. False when it failed for good; with the
    /// ACK, the gateway's own timing of it (<c>Server-Timing</c>) when it sent one.
    /// </summary>
    private async Task<(bool Acked, IReadOnlyDictionary<string, double>? Timing)> SendAsync(IngestBatch batch)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/ingest");
            request.Headers.Add("x-api-key", apiKey);
            request.Content = new ByteArrayContent(batch.Body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                return (true, ServerPhases.Parse(response));
            }

            if (response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable))
            {
                Tally.Fail();
                await Console.Error.WriteLineAsync($"ingest answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                return (false, null);
            }

            Tally.Retry();
            await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromMilliseconds(100));
        }

        Tally.Fail();
        return (false, null);
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
