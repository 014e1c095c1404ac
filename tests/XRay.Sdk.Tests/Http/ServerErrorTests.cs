using System.Text.Json;
using Microsoft.Extensions.Logging;
using XRay.Sdk.Tests.Fakes;

namespace XRay.Sdk.Tests.Http;

/// <summary>
/// A server that fails on one entry every time (a bug that one batch triggers, a proxy that errors on it) must not hold
/// back the entries behind it: that entry is given up after <see cref="XRayOptions.MaxServerErrorAttempts"/> server
/// errors, dropped and counted. A server that says it is unavailable (503) is retried until it delivers, however long.
/// </summary>
public sealed class ServerErrorTests : GatewayBehindProxy
{
    private const int MaxServerErrorAttempts = 3;

    private static XRayOptions Options(Uri baseAddress)
    {
        var options = TestTracers.Options(baseAddress);
        options.MaxServerErrorAttempts = MaxServerErrorAttempts;
        options.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
        options.RetryMaxDelay = TimeSpan.FromMilliseconds(50);
        return options;
    }

    private static bool HasEventNamed(JsonElement body, string name) =>
        body.TryGetProperty("events", out var events) && events.ValueKind == JsonValueKind.Array
        && events.EnumerateArray().Any(e => e.TryGetProperty("name", out var n) && n.GetString() == name);

    [Fact]
    public async Task A_batch_the_server_fails_on_every_time_is_dropped_after_MaxServerErrorAttempts_and_the_batches_behind_it_are_sent()
    {
        var poisoned = 0;
        Gateway.FailsOn = body =>
        {
            if (!HasEventNamed(body, "poison"))
            {
                return false;
            }

            Volatile.Write(ref poisoned, body.GetProperty("events").GetArrayLength());
            return true;
        };
        var logs = new LogRecorder();
        await using var tracer = new XRayTracer(Options(Gateway.BaseAddress), logs);
        var first = tracer.CreateTrace("poisoned");
        first.Step("poison");
        first.Success();
        await Wait.UntilAsync(() => Gateway.ServerErrors > 0, "the poisoned batch failing at the gateway");

        // spooled while the uploader is held on the poisoned batch: behind it
        var behind = tracer.CreateTrace("behind");
        for (var s = 1; s <= 10; s++)
        {
            behind.Step($"step-{s}");
        }

        behind.Success();
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(10)), "the batches behind the poisoned one were not sent");

        Assert.Equal(MaxServerErrorAttempts, Gateway.ServerErrors);
        Assert.Equal(Enumerable.Range(1, 10).Select(s => $"step-{s}"), Gateway.StepsOf(behind.TraceId).Select(e => e.GetProperty("name").GetString()));
        Assert.DoesNotContain(Gateway.Events.Values, e => e.TryGetProperty("name", out var n) && n.GetString() == "poison");
        var stats = tracer.Stats;
        Assert.Equal(15, stats.EventsRecorded);
        Assert.Equal(poisoned, stats.EventsDropped);
        Assert.Equal(15 - poisoned, stats.EventsSent);
        Assert.Equal(15 - poisoned, Gateway.Events.Count);
        Assert.Equal(MaxServerErrorAttempts - 1, stats.Retries);
        var warning = Assert.Single(logs.Entries, e => e.EventName == "GaveUp");
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Matches(@"gave up on e_\S+_" + poisoned + ": the server failed on it 3 times, last with 500", warning.Message);
        Assert.Contains("the server failed on this request", warning.Message, StringComparison.Ordinal); // the server's detail
    }

    [Fact]
    public async Task A_blob_the_server_fails_on_every_time_is_dropped_after_MaxServerErrorAttempts_and_the_blobs_behind_it_are_sent()
    {
        Gateway.FailsOn = body => body.TryGetProperty("contentType", out var type) && type.GetString()!.StartsWith("text/plain", StringComparison.Ordinal);
        var logs = new LogRecorder();
        await using var tracer = new XRayTracer(Options(Gateway.BaseAddress), logs);
        var trace = tracer.CreateTrace("run");
        var poison = trace.DataText("the gateway fails on the presign of text blobs");
        await Wait.UntilAsync(() => Gateway.ServerErrors > 0, "the poisoned blob failing at the gateway");

        var behind = new[] { trace.DataId(new { n = 1 }), trace.DataBytes([1, 2, 3]), trace.DataId(new { n = 2 }) };
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(10)), "the blobs behind the poisoned one were not sent");

        Assert.Equal(MaxServerErrorAttempts, Gateway.ServerErrors);
        Assert.All(behind, id => Assert.True(Gateway.Blobs.ContainsKey(id.ToString()), $"blob {id} missing"));
        Assert.False(Gateway.Blobs.ContainsKey(poison.ToString()));
        Assert.Equal(1, tracer.Stats.BlobsDropped);
        Assert.Equal(3, tracer.Stats.BlobsSent);
        var warning = Assert.Single(logs.Entries, e => e.EventName == "GaveUp");
        Assert.Contains($"gave up on b_{poison:N}", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gateway_unavailable_for_many_more_attempts_than_MaxServerErrorAttempts_loses_nothing()
    {
        const int Unavailable = 6 * MaxServerErrorAttempts;
        Proxy.Inject(Fault.Unavailable, count: Unavailable);
        var logs = new LogRecorder();
        await using var tracer = new XRayTracer(Options(Proxy.BaseAddress), logs);
        var trace = tracer.CreateTrace("run");
        for (var s = 1; s <= 10; s++)
        {
            trace.Step($"step-{s}");
        }

        trace.Success();
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        // events only, sent one entry at a time: the first entry took every 503 and was retried through all of them
        Assert.Equal(Unavailable, Proxy.FaultedRequests);
        Assert.Equal(12, Gateway.Events.Count);
        var stats = tracer.Stats;
        Assert.Equal(12, stats.EventsSent);
        Assert.Equal(0, stats.EventsDropped);
        Assert.True(stats.Retries >= Unavailable, $"{stats.Retries} retries");
        Assert.DoesNotContain(logs.Entries, e => e.EventName == "GaveUp");
    }
}
