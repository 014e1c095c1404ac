using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace XRay.LoadTest;

/// <summary>
/// Time-to-queryable: for a sample of completed traces, from the ACK of the batch holding the trace's last
/// event until <c>GET /api/v1/traces/{id}</c> first answers with every step and the final status. That GET
/// already waits in the gateway's read fence (≤ 2 s), so this is what a reader sees, fence included.
/// Traces completed during the warm-up are probed too, unrecorded: otherwise the gateway's query path (JWT,
/// trace read, JSON) is first run, and compiled by the tiered JIT, inside the measured window, where the JIT's
/// thread took 9–15 % of the gateway's CPU samples beside the ingest being measured.
/// </summary>
internal sealed class QueryabilityProbe(HttpClient http, string token, double sample, long windowStartTicks)
{
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(30);
    private readonly List<Task> _probes = [];
    private readonly Lock _lock = new();
    private readonly int _every = Math.Max(1, (int)Math.Round(1 / Math.Clamp(sample, 1e-6, 1)));
    private long _seen;
    private long _timedOut;

    public Latencies Latency { get; } = new();

    public long TimedOut => Interlocked.Read(ref _timedOut);

    public void Watch(IReadOnlyList<CompletedTrace> traces, long ackedTicks)
    {
        foreach (var trace in traces)
        {
            if (Interlocked.Increment(ref _seen) % _every != 0)
            {
                continue;
            }

            var measured = ackedTicks >= windowStartTicks;
            lock (_lock)
            {
                _probes.Add(Task.Run(() => ProbeAsync(trace, ackedTicks, measured)));
            }
        }
    }

    /// <summary>Waits for the probes still polling (they give up after 30 s each).</summary>
    public Task DrainAsync()
    {
        lock (_lock)
        {
            return Task.WhenAll(_probes);
        }
    }

    private async Task ProbeAsync(CompletedTrace trace, long ackedTicks, bool measured)
    {
        while (Stopwatch.GetElapsedTime(ackedTicks) < GiveUpAfter)
        {
            if (await IsCompleteAsync(trace))
            {
                if (measured)
                {
                    Latency.Add(Stopwatch.GetTimestamp() - ackedTicks);
                }

                return;
            }

            await Task.Delay(20);
        }

        if (measured)
        {
            Interlocked.Increment(ref _timedOut);
        }
    }

    private async Task<bool> IsCompleteAsync(CompletedTrace trace)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/traces/{trace.TraceId}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        using var json = await JsonDocument.ParseAsync(body);
        var root = json.RootElement;
        return root.GetProperty("status").GetString() == "success" && root.GetProperty("stepCount").GetInt32() == trace.Steps;
    }
}
