using XRay.Grains.Ingest;
using XRay.Grains.Storage;
using XRay.Grains.Tests.Ingest;
using XRay.Grains.Traces;

namespace XRay.Grains.Tests.Traces;

public sealed class TraceFoldTests
{
    private static readonly IngestEvent[] Events =
    [
        Event("trace", "2026-11-01T12:00:01Z", "\"name\":\"restarted\",\"metadata\":{\"try\":2}"),
        Event("trace", "2026-11-01T12:00:00Z", "\"name\":\"first\",\"metadata\":{\"try\":1}"),
        Event("step", "2026-11-01T11:59:59Z", $"\"stepId\":\"{Guid.NewGuid()}\",\"stepNumber\":1,\"name\":\"search\""),
        Event("failure", "2026-11-01T12:00:09Z", "\"error\":{\"message\":\"late failure\"}"),
        Event("success", "2026-11-01T12:00:05Z", "\"output\":{\"ok\":true}"),
    ];

    [Fact]
    public void A_trace_is_named_by_its_latest_trace_event_and_ended_by_its_latest_end_in_any_order()
    {
        var expected = TraceFold.ToBatch(Events).Traces.Single();

        Assert.Equal(("restarted", "{\"try\":2}", "failure", "{\"message\":\"late failure\"}", (string?)null),
            (expected.Name, expected.Metadata, expected.Status, expected.Error, expected.Output));
        Assert.Equal(DateTimeOffset.Parse("2026-11-01T11:59:59Z").ToUnixTimeMilliseconds(), expected.StartedAt);
        Assert.Equal(DateTimeOffset.Parse("2026-11-01T12:00:09Z").ToUnixTimeMilliseconds(), expected.EndedAt);
        Assert.Equal(DateTimeOffset.Parse("2026-11-01T12:00:01Z").ToUnixTimeMilliseconds(), expected.NamedAt);

        var random = new Random(11);
        for (var round = 0; round < 20; round++)
        {
            // Any order, cut into batches anywhere: the batches' upserts merge to the same trace.
            var order = Events.OrderBy(_ => random.Next()).ToArray();
            var cut = random.Next(1, order.Length);
            var merged = TraceUpsert.Merge(TraceFold.ToBatch(order[cut..]).Traces.Single(), TraceFold.ToBatch(order[..cut]).Traces.Single());
            Assert.Equal(expected, merged);
            Assert.Equal(expected, TraceFold.ToBatch(order).Traces.Single());
        }
    }

    private static IngestEvent Event(string type, string timestamp, string fields) => SampleEvents.Accept(
        $"{{\"eventId\":\"{Guid.NewGuid()}\",\"type\":\"{type}\",\"traceId\":\"{SampleEvents.TraceId}\",\"timestamp\":\"{timestamp}\",{fields}}}");
}
