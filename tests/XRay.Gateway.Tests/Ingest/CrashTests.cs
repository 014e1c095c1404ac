using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using XRay.Testing;

namespace XRay.Gateway.Tests.Ingest;

/// <summary>
/// The server must never lose an event it acknowledged: SIGKILL the real gateway process repeatedly
/// under sustained ingest, restart it on the same data directory, and account for every 202.
/// </summary>
public sealed class CrashTests
{
    private const int Writers = 8;
    private const int Kills = 3;

    [Fact]
    public async Task Every_acknowledged_event_survives_repeated_SIGKILL_exactly_once()
    {
        await using var gateway = new GatewayProcess();
        await gateway.StartAsync();
        TestProject project;
        using (var setup = gateway.CreateClient())
        {
            project = await setup.CreateProjectWithKeyAsync(await setup.RegisterAndLoginAsync());
        }

        var acked = new ConcurrentDictionary<string, ConcurrentBag<string>>(); // traceId -> acknowledged step ids
        var succeeded = new ConcurrentDictionary<string, bool>();
        var acks = 0;
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, Writers).Select(_ => Task.Run(() => WriteUntilStoppedAsync(gateway, project, acked, succeeded, () => Interlocked.Increment(ref acks), stop.Token))).ToList();

        for (var kill = 0; kill < Kills; kill++)
        {
            var before = Volatile.Read(ref acks);
            await Poll.UntilAsync(() => Volatile.Read(ref acks) >= before + 20, TimeSpan.FromSeconds(60), "writers to make progress", TimeSpan.FromMilliseconds(50));
            await gateway.KillAsync();
            await Task.Delay(200); // writers hit a dead server for a moment
            await gateway.StartAsync();
        }

        var last = Volatile.Read(ref acks);
        await Poll.UntilAsync(() => Volatile.Read(ref acks) >= last + 20, TimeSpan.FromSeconds(60), "writers to make progress after the last restart", TimeSpan.FromMilliseconds(50));
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        using var reader = gateway.CreateClient();
        var lost = 0;
        var duplicated = 0;
        var checkedSteps = 0;
        foreach (var (traceId, stepIds) in acked)
        {
            var trace = await ReadWhenCaughtUpAsync(reader, project, traceId, stepIds.Count);
            var stored = trace.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("stepId").GetString()!).ToList();
            duplicated += stored.Count - stored.Distinct().Count();
            lost += stepIds.Except(stored).Count();
            checkedSteps += stepIds.Count;
            Assert.Equal(stored.Count, trace.GetProperty("stepCount").GetInt32());
            if (succeeded.ContainsKey(traceId))
            {
                Assert.Equal("success", trace.GetProperty("status").GetString());
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{Kills} SIGKILLs, {acked.Count} traces, {checkedSteps} acknowledged steps: lost {lost}, duplicated {duplicated}");
        Assert.True(checkedSteps > 100, $"only {checkedSteps} acknowledged steps: the test did not exercise much");
        Assert.Equal(0, lost);
        Assert.Equal(0, duplicated);
    }

    private static async Task WriteUntilStoppedAsync(
        GatewayProcess gateway, TestProject project, ConcurrentDictionary<string, ConcurrentBag<string>> acked,
        ConcurrentDictionary<string, bool> succeeded, Action onAck, CancellationToken stop)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        while (!stop.IsCancellationRequested)
        {
            var trace = new TraceEvents(project.ProjectId);
            if (!await TrySendAsync(client, gateway, project, [trace.TraceStart()], stop))
            {
                continue;
            }

            var steps = acked.GetOrAdd(trace.TraceId, _ => []);

            for (var batch = 0; batch < 5 && !stop.IsCancellationRequested; batch++)
            {
                var ids = Enumerable.Range(0, 10).Select(_ => TraceEvents.NewId()).ToList();
                var events = ids.Select((id, i) => trace.Step((batch * 10) + i + 1, id)).ToArray();
                // An SDK retries a batch until acknowledged; so do we (same step ids: redelivery must stay harmless).
                while (!stop.IsCancellationRequested && !await TrySendAsync(client, gateway, project, events, stop))
                {
                }

                if (!stop.IsCancellationRequested)
                {
                    ids.ForEach(steps.Add);
                    onAck();
                }
            }

            if (await TrySendAsync(client, gateway, project, [trace.Success()], stop))
            {
                succeeded[trace.TraceId] = true;
            }
        }
    }

    private static async Task<bool> TrySendAsync(HttpClient client, GatewayProcess gateway, TestProject project, object[] events, CancellationToken stop)
    {
        try
        {
            using var request = XRayApi.WithKey(HttpMethod.Post, new Uri(gateway.BaseAddress, "api/v1/ingest").ToString(), project.ApiKey, TraceEvents.Batch(events));
            using var response = await client.SendAsync(request, stop);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                var body = await response.Content.ReadFromJsonAsync<JsonElement>(stop);
                Assert.Equal(events.Length, body.GetProperty("accepted").GetInt32());
                return true;
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            // The server is down or died mid-request: not acknowledged, so nothing is promised.
        }

        if (!stop.IsCancellationRequested)
        {
            await Task.Delay(50, CancellationToken.None);
        }

        return false;
    }

    /// <summary>
    /// Reads a trace, giving the restarted consumer time to work through its backlog: the read fence waits
    /// only a bounded time, and after a crash the redelivered tail can be long on a loaded machine.
    /// </summary>
    private static async Task<JsonElement> ReadWhenCaughtUpAsync(HttpClient reader, TestProject project, string traceId, int expectedSteps)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await reader.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/traces/{traceId}", project.Owner.Token));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var trace = await response.Content.ReadFromJsonAsync<JsonElement>();
                if (trace.GetProperty("steps").GetArrayLength() >= expectedSteps || DateTime.UtcNow > deadline)
                {
                    return trace;
                }
            }
            else if (DateTime.UtcNow > deadline)
            {
                await XRayApi.EnsureAsync(response, HttpStatusCode.OK);
            }

            await Task.Delay(100);
        }
    }

}
