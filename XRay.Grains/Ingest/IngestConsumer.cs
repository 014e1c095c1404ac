using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using XRay.Grains.Options;
using XRay.Grains.Traces;

namespace XRay.Grains.Ingest;

/// <summary>
/// The silo's ingest consumer: polls batches from the log, routes each trace's events to its
/// <see cref="ITraceGrain"/>, and commits the log offset only after every grain's write is durable.
/// A failed batch is retried with backoff and never skipped: acknowledged events are not lost.
/// </summary>
public sealed partial class IngestConsumer(
    IIngestLog log,
    IGrainFactory grains,
    IngestProgress progress,
    IOptions<IngestConsumerOptions> options,
    TimeProvider time,
    ILogger<IngestConsumer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        await using var consumer = log.Subscribe(settings.GroupId);
        progress.Resume(await log.GetCommittedOffsetsAsync(settings.GroupId, stoppingToken).ConfigureAwait(false));

        while (!stoppingToken.IsCancellationRequested)
        {
            IReadOnlyList<IngestRecord> records;
            try
            {
                records = await consumer.PollAsync(settings.MaxBatchSize, settings.PollWait, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            if (records.Count == 0)
            {
                continue;
            }

            await ApplyUntilDoneAsync(consumer, records, settings, stoppingToken).ConfigureAwait(false);
            if (settings.PauseBetweenBatches > TimeSpan.Zero)
            {
                await Task.Delay(settings.PauseBetweenBatches, time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ApplyUntilDoneAsync(IIngestConsumer consumer, IReadOnlyList<IngestRecord> records, IngestConsumerOptions settings, CancellationToken stoppingToken)
    {
        var delay = settings.RetryDelay;
        var events = Parse(records);
        while (true)
        {
            try
            {
                await Task.WhenAll(events.GroupBy(e => e.TraceId, StringComparer.Ordinal)
                    .Select(trace => grains.GetGrain<ITraceGrain>(trace.Key).Apply([.. trace]))).ConfigureAwait(false);
                await consumer.CommitAsync(records, stoppingToken).ConfigureAwait(false);
                progress.Applied(records);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                throw; // uncommitted: the batch is redelivered after restart
            }
            catch (Exception ex)
            {
                LogBatchFailed(logger, ex, records.Count, delay);
                await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    private List<IngestEvent> Parse(IReadOnlyList<IngestRecord> records)
    {
        var events = new List<IngestEvent>(records.Count);
        foreach (var record in records)
        {
            try
            {
                using var document = JsonDocument.Parse(record.Value);
                if (IngestEventParser.TryParse(document.RootElement, null, allowData: true, int.MaxValue, out var evt, out var error))
                {
                    events.Add(evt!);
                }
                else
                {
                    LogPoisonRecord(logger, record.Partition, record.Offset, error);
                }
            }
            catch (JsonException ex)
            {
                LogPoisonRecord(logger, record.Partition, record.Offset, ex.Message);
            }
        }

        return events;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Applying a batch of {Count} records failed; retrying in {Delay}")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Skipping unreadable record at partition {Partition} offset {Offset}: {Reason}")]
    private static partial void LogPoisonRecord(ILogger logger, int partition, long offset, string reason);
}
