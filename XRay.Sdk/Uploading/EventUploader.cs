using Microsoft.Extensions.Logging;
using XRay.Sdk.Diagnostics;
using XRay.Sdk.Http;
using XRay.Sdk.Storage;

namespace XRay.Sdk.Uploading;

/// <summary>
/// Batch → spool → ingest → delete. A batch is written to the spool before it is sent, so a crash leaves
/// it for the next process; it is deleted after the gateway's <c>202</c> (events it rejected are counted
/// as dropped, not retried) or after a refusal such as <c>400</c> (the whole batch is dropped and counted).
/// </summary>
internal sealed class EventUploader(IStorageAdapter storage, ApiClient api, DeliveryPolicy policy, Counters counters, ILogger logger)
    : UploadLoop(storage, SpoolKey.BatchPrefix, logger)
{
    private static ReadOnlySpan<byte> Head => """{"schemaVersion":1,"events":["""u8;

    /// <summary>Wraps serialized events in the batch envelope and spools it.</summary>
    public void Spool(List<byte[]> events) => Spool(SpoolKey.Batch(events.Count), Envelope(events));

    protected override void OnSpooled(string key)
    {
        if (SpoolKey.TryParseBatch(key, out var count))
        {
            counters.EventsSpooled(count);
        }
    }

    protected override void CountDropped(string key, string reason) => LostEntries.Count(key, reason, counters, Logger);

    protected override async Task SendAsync(string key, byte[] data, CancellationToken cancellationToken)
    {
        var delivery = await policy.ExecuteAsync(key, ct => api.IngestAsync(data, ct), cancellationToken).ConfigureAwait(false);
        var count = SpoolKey.TryParseBatch(key, out var events) ? events : 0;
        if (delivery.Outcome != DeliveryOutcome.Delivered)
        {
            Log.Refused(Logger, key, delivery.Status, delivery.Detail);
            CountDropped(key, $"the gateway refused the batch with {delivery.Status}");
            return;
        }

        var rejected = delivery.Ingest?.Rejected ?? [];
        foreach (var rejection in rejected)
        {
            Log.EventRejected(Logger, rejection.EventId, rejection.Reason);
        }

        var accepted = delivery.Ingest?.Accepted ?? count - rejected.Count;
        counters.EventsSent(accepted);
        if (rejected.Count > 0)
        {
            counters.EventsDropped(rejected.Count);
        }

        Log.BatchSent(Logger, key, accepted, rejected.Count);
    }

    private static byte[] Envelope(List<byte[]> events)
    {
        var length = Head.Length + Math.Max(0, events.Count - 1) + 2; // envelope, commas, ]}
        foreach (var e in events)
        {
            length += e.Length;
        }

        var body = new byte[length];
        Head.CopyTo(body);
        var at = Head.Length;
        for (var i = 0; i < events.Count; i++)
        {
            if (i > 0)
            {
                body[at++] = (byte)',';
            }

            events[i].CopyTo(body, at);
            at += events[i].Length;
        }

        body[at++] = (byte)']';
        body[at++] = (byte)'}';
        return body;
    }
}
