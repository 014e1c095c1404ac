using System.Text.Json;
using Microsoft.Extensions.Logging;
using XRay.Sdk.Diagnostics;
using XRay.Sdk.Http;
using XRay.Sdk.Storage;

namespace XRay.Sdk.Uploading;

/// <summary>
/// Batch → spool → ingest → delete. A batch is written to the spool before it is sent, so a crash leaves
/// it for the next process; it is deleted after the gateway's <c>202</c> (events it rejected are counted
/// as dropped, not retried), after a refusal such as <c>400</c>, or once the server has failed on it
/// <see cref="XRayOptions.MaxServerErrorAttempts"/> times (either way the whole batch is dropped and counted).
/// A batch refused as too large (<c>413</c>, or a <c>400</c> typed as too many events) is not dropped but split:
/// its parts are spooled as new entries before it is deleted, so a crash in between leaves duplicates (which the
/// gateway ignores), never a loss. The smallest limits a refusal advertised are remembered, and later batches are
/// spooled, or split before their first send, to fit them.
/// </summary>
internal sealed class EventUploader(IStorageAdapter storage, ApiClient api, DeliveryPolicy policy, Counters counters, ILogger logger)
    : UploadLoop(storage, SpoolKey.BatchPrefix, logger)
{
    /// <summary>The bytes of an envelope around no events: <c>{"schemaVersion":1,"events":[]}</c>.</summary>
    private static readonly int EmptyEnvelopeLength = Head.Length + 2;

    /// <summary>Spooled envelopes are the SDK's own; events nest at most 62 levels under the envelope's 2, read with room to spare.</summary>
    private static readonly JsonReaderOptions EnvelopeReading = new() { MaxDepth = 1024 };

    private long _maxEvents = long.MaxValue; // long like the body limit, so one Lower serves both
    private long _maxBodyBytes = long.MaxValue;

    private static ReadOnlySpan<byte> Head => """{"schemaVersion":1,"events":["""u8;

    /// <summary>Wraps serialized events in the batch envelope and spools it; in parts when it is over a limit the gateway advertised.</summary>
    public void Spool(List<byte[]> events)
    {
        var maxEvents = Volatile.Read(ref _maxEvents);
        var maxBodyBytes = Volatile.Read(ref _maxBodyBytes);
        if (events.Count <= maxEvents && (maxBodyBytes == long.MaxValue || EnvelopeLength(events, 0, events.Count) <= maxBodyBytes))
        {
            Spool(SpoolKey.Batch(events.Count), Envelope(events, 0, events.Count));
            return;
        }

        foreach (var (start, count) in Chunk(events, maxEvents, maxBodyBytes))
        {
            Spool(SpoolKey.Batch(count), Envelope(events, start, count));
        }
    }

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
        var count = SpoolKey.TryParseBatch(key, out var events) ? events : 0;
        if (count > 1 && (count > Volatile.Read(ref _maxEvents) || data.Length > Volatile.Read(ref _maxBodyBytes))
            && TrySplit(key, data, "it is over the gateway's batch limit"))
        {
            return; // spooled before this process learned the limit (or by an earlier process): sent in parts instead
        }

        var delivery = await policy.ExecuteAsync(key, data.Length, ct => api.IngestAsync(data, ct), cancellationToken).ConfigureAwait(false);
        if (delivery.Outcome != DeliveryOutcome.Delivered)
        {
            if (delivery.TooLarge is { } tooLarge)
            {
                Learn(tooLarge);
                if (TrySplit(key, data, $"the gateway refused it as too large with {delivery.Status}"))
                {
                    return;
                }
            }

            DropUndelivered(key, delivery);
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

    /// <summary>
    /// The events of a spooled envelope, each as the bytes it was written with, or null when the entry is not an
    /// envelope with an <c>events</c> array.
    /// </summary>
    internal static List<byte[]>? EventsOf(ReadOnlySpan<byte> envelope)
    {
        var reader = new Utf8JsonReader(envelope, EnvelopeReading);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals("events"u8))
                {
                    reader.Read();
                    reader.Skip();
                    continue;
                }

                if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                {
                    return null;
                }

                var events = new List<byte[]>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    var start = checked((int)reader.TokenStartIndex);
                    reader.Skip(); // to the event's closing brace: the raw bytes are copied, never re-serialized
                    events.Add(envelope[start..checked((int)reader.BytesConsumed)].ToArray());
                }

                return reader.TokenType == JsonTokenType.EndArray ? events : null;
            }

            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Consecutive runs of at most <paramref name="maxEvents"/> events whose envelope takes at most
    /// <paramref name="maxBodyBytes"/>; an event too large for any envelope of that size is a run of its own.
    /// </summary>
    internal static List<(int Start, int Count)> Chunk(List<byte[]> events, long maxEvents, long maxBodyBytes)
    {
        var chunks = new List<(int Start, int Count)>();
        var start = 0;
        long length = EmptyEnvelopeLength;
        for (var i = 0; i < events.Count; i++)
        {
            var count = i - start;
            var grown = length + events[i].Length + (count > 0 ? 1 : 0); // a comma before all but the first
            if (count > 0 && (count >= maxEvents || grown > maxBodyBytes))
            {
                chunks.Add((start, count));
                start = i;
                grown = EmptyEnvelopeLength + events[i].Length;
            }

            length = grown;
        }

        if (events.Count > start)
        {
            chunks.Add((start, events.Count - start));
        }

        return chunks;
    }

    /// <summary>Keeps the smallest limits advertised; a new one is worth a warning, since every batch over it costs extra work.</summary>
    private void Learn(BatchTooLarge tooLarge)
    {
        if (tooLarge.MaxEvents is { } events && Lower(ref _maxEvents, events))
        {
            Log.EventLimitLearned(Logger, events);
        }

        if (tooLarge.MaxBodyBytes is { } bytes && Lower(ref _maxBodyBytes, bytes))
        {
            Log.BodyLimitLearned(Logger, bytes);
        }
    }

    private static bool Lower(ref long field, long value)
    {
        for (var current = Volatile.Read(ref field); value < current; current = Volatile.Read(ref field))
        {
            if (Interlocked.CompareExchange(ref field, value, current) == current)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Spools the events of <paramref name="key"/> as smaller batches, in runs that fit the limits learned so far, or in
    /// halves when those would not split it. The parts are written before the loop deletes the original and are not
    /// counted as spooled again (their events were, with the original). False when the entry holds a single event or
    /// cannot be read as an envelope: then there is nothing to split, and it is dropped as before.
    /// </summary>
    private bool TrySplit(string key, byte[] data, string reason)
    {
        if (EventsOf(data) is not { Count: > 1 } events)
        {
            return false;
        }

        var chunks = Chunk(events, Volatile.Read(ref _maxEvents), Volatile.Read(ref _maxBodyBytes));
        if (chunks.Count < 2)
        {
            var half = events.Count / 2;
            chunks = [(0, half), (half, events.Count - half)];
        }

        foreach (var (start, count) in chunks)
        {
            TryStore(SpoolKey.Batch(count), Envelope(events, start, count)); // one that cannot be written is counted as dropped
        }

        Log.Split(Logger, key, events.Count, chunks.Count, reason);
        Wake(); // the parts are newer than the loop's listing: another pass sends them
        return true;
    }

    private static long EnvelopeLength(List<byte[]> events, int start, int count)
    {
        long length = EmptyEnvelopeLength + Math.Max(0, count - 1); // envelope, commas
        for (var i = start; i < start + count; i++)
        {
            length += events[i].Length;
        }

        return length;
    }

    private static byte[] Envelope(List<byte[]> events, int start, int count)
    {
        var body = new byte[EnvelopeLength(events, start, count)];
        Head.CopyTo(body);
        var at = Head.Length;
        for (var i = start; i < start + count; i++)
        {
            if (i > start)
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
