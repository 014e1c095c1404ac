using XRay.Grains.Options;

namespace XRay.Grains.Ingest;

/// <summary>
/// Polls the consumer's batches, bounded by <see cref="IngestConsumerOptions.MaxBatchSize"/> records and
/// <see cref="IngestConsumerOptions.MaxBatchBytes"/> bytes of values. One smaller than those waits up to
/// <see cref="IngestConsumerOptions.BatchLinger"/> for more (as Kafka's <c>fetch.min.bytes</c> with
/// <c>fetch.max.wait.ms</c>). Below the maximum rate the log delivers an append at a time; applied one by one,
/// every small transaction rewrites the same partly filled pages, and the store wrote ten times the events'
/// bytes. At the maximum rate batches are full at once and nothing waits.
/// </summary>
/// <remarks>
/// The byte bound holds for the whole batch, except for a batch of one record larger than it (as Kafka's
/// <c>fetch.max.bytes</c>: a poll always makes progress). A poll returns its first record even when it is larger
/// than the bytes left, so a record that a poll made while lingering would take past the bound is held here and
/// starts the next batch. The consumer holds at most (<see cref="IngestConsumerOptions.MaxBatchesInFlight"/> + 1)
/// batches, so its records take at most that many times <see cref="IngestConsumerOptions.MaxBatchBytes"/> (or one
/// record each, where one is larger).
/// </remarks>
internal sealed class BatchPoller(IIngestConsumer consumer, IngestConsumerOptions settings, TimeProvider time)
{
    private IngestRecord? _held;

    /// <summary>The next batch; empty when nothing arrived within <see cref="IngestConsumerOptions.PollWait"/>.</summary>
    public async Task<IReadOnlyList<IngestRecord>> PollAsync(CancellationToken stoppingToken)
    {
        IReadOnlyList<IngestRecord> records;
        if (_held is { } held)
        {
            _held = null;
            records = [held];
        }
        else
        {
            records = await consumer.PollAsync(settings.MaxBatchSize, settings.MaxBatchBytes, settings.PollWait, stoppingToken).ConfigureAwait(false);
        }

        if (records.Count == 0 || records.Count >= settings.MaxBatchSize || settings.BatchLinger <= TimeSpan.Zero)
        {
            return records;
        }

        var bytes = Bytes(records);
        if (bytes >= settings.MaxBatchBytes)
        {
            return records;
        }

        var batch = new List<IngestRecord>(settings.MaxBatchSize);
        batch.AddRange(records);
        var lingerStarted = time.GetTimestamp();
        while (batch.Count < settings.MaxBatchSize && bytes < settings.MaxBatchBytes)
        {
            var left = settings.BatchLinger - time.GetElapsedTime(lingerStarted);
            if (left <= TimeSpan.Zero)
            {
                break;
            }

            IReadOnlyList<IngestRecord> more;
            try
            {
                more = await consumer.PollAsync(settings.MaxBatchSize - batch.Count, settings.MaxBatchBytes - bytes, left, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception) when (!stoppingToken.IsCancellationRequested)
            {
                // Apply what was polled already (the log has moved past it); the failure comes back at the next poll,
                // which the consumer retries.
                break;
            }

            if (more.Count == 0)
            {
                break;
            }

            if (more.Count == 1 && more[0].Value.Length > settings.MaxBatchBytes - bytes)
            {
                _held = more[0]; // a first record larger than what is left: it starts the next batch
                break;
            }

            batch.AddRange(more);
            bytes += Bytes(more);
        }

        return batch;
    }

    /// <summary>The bytes of the records' values (their lengths are known: no copy).</summary>
    private static long Bytes(IReadOnlyList<IngestRecord> records)
    {
        long bytes = 0;
        for (var i = 0; i < records.Count; i++)
        {
            bytes += records[i].Value.Length;
        }

        return bytes;
    }
}
