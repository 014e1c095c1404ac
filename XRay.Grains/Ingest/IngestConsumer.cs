using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using XRay.Grains.Options;
using XRay.Grains.Projects;
using XRay.Grains.Traces;

namespace XRay.Grains.Ingest;

/// <summary>
/// The silo's ingest consumer: polls batches from the log, routes each trace's events to its
/// <see cref="ITraceGrain"/> (then tells each project's <see cref="IProjectGrain"/> what it brought), and commits the log offset only after every grain's write is in the store and the
/// store has been flushed (<see cref="Storage.ITraceStore.FlushAsync"/>): one sync covers every batch since the last commit.
/// A failed batch, and a failed poll of the log, is retried with backoff and never skipped: acknowledged events are not
/// lost, and the host keeps serving meanwhile. Only a record that cannot be read (corrupt or foreign bytes) is skipped
/// and logged. Batches are bounded by records and by bytes (<see cref="BatchPoller"/>).
/// </summary>
public sealed partial class IngestConsumer(
    IIngestLog log,
    IGrainFactory grains,
    IngestRecordCodec codec,
    Storage.ITraceStore store,
    IngestProgress progress,
    BackgroundWork background,
    ConsumerMetrics metrics,
    IOptions<IngestConsumerOptions> options,
    TimeProvider time,
    ILogger<IngestConsumer> logger) : BackgroundService
{
    private readonly Dictionary<int, IngestRecord> _uncommitted = [];
    private long _uncommittedRecords;
    private long _lastAppliedAt;
    private long _lastCommitAt;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        await using var consumer = log.Subscribe(settings.GroupId);
        progress.Resume(await log.GetCommittedOffsetsAsync(settings.GroupId, stoppingToken).ConfigureAwait(false));

        // Batches are applied while the next is read and parsed; commits stay in batch order, so an
        // offset is never committed past a batch that is not yet durable.
        var inFlight = new Queue<Task>();
        var committed = Task.CompletedTask;
        var poller = new BatchPoller(consumer, settings, time);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var records = await PollUntilDoneAsync(poller, stoppingToken).ConfigureAwait(false);
                if (records.Count == 0)
                {
                    // Idle: commit what the interval held back, so a restart redelivers little.
                    committed = CommitOffsetsAfterAsync(consumer, committed, force: true, stoppingToken);
                    await committed.ConfigureAwait(false);
                    continue;
                }

                var polledAt = time.GetTimestamp();
                var applied = ApplyUntilDoneAsync(await ReadUntilDoneAsync(records, stoppingToken).ConfigureAwait(false), records.Count, stoppingToken);
                committed = CommitInOrderAsync(consumer, committed, applied, records, polledAt, stoppingToken);
                inFlight.Enqueue(committed);
                while (inFlight.Count >= settings.MaxBatchesInFlight || (inFlight.Count > 0 && inFlight.Peek().IsCompleted))
                {
                    await inFlight.Dequeue().ConfigureAwait(false);
                }

                if (settings.PauseBetweenBatches > TimeSpan.Zero)
                {
                    await Task.Delay(settings.PauseBetweenBatches, time, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await CommitOnStopAsync(consumer, inFlight).ConfigureAwait(false);
    }

    /// <summary>
    /// On a graceful stop, lets the batches in flight finish and commits what was applied, as a Kafka consumer commits
    /// on close: the next start then redelivers little. Bounded by <see cref="StopCommitTimeout"/>; whatever is not
    /// committed by then is redelivered, which the store ignores.
    /// </summary>
    private async Task CommitOnStopAsync(IIngestConsumer consumer, IEnumerable<Task> inFlight)
    {
        using var closing = new CancellationTokenSource(StopCommitTimeout, time);
        var batches = Task.WhenAll(inFlight);
        try
        {
            await batches.WaitAsync(closing.Token).ConfigureAwait(false);
        }
        catch (Exception) when (batches.IsCompleted)
        {
            // A batch failed or was cancelled by the stop: only the batches before it are in _uncommitted (they join it
            // in order), and only those are committed.
        }
        catch (OperationCanceledException)
        {
            LogStopCommitTimedOut(logger, StopCommitTimeout); // a batch still runs and may still touch _uncommitted
            return;
        }

        try
        {
            await CommitOffsetsAsync(consumer, force: true, closing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            LogStopCommitTimedOut(logger, StopCommitTimeout);
        }
    }

    /// <summary>How long a graceful stop waits for the batches in flight and the last offset commit.</summary>
    internal static readonly TimeSpan StopCommitTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Polls the next batch. A poll that fails for now (an I/O error, a timeout, a broker error that is not fatal) is
    /// retried with backoff, as a failed batch is, for as long as it fails: the records stay in the log, so nothing is
    /// lost, and the host keeps acknowledging ingest meanwhile. (The embedded log does not even throw those: a partition
    /// it cannot read is retried at every poll while the others are read.) Anything else still stops the host, as
    /// before: damage below the durable end (appends behind it would be lost with it), a fatal Kafka error (the client
    /// is unusable), running out of memory, or a failure a poll may have thrown after taking records, which a retry
    /// would skip. What fails at start-up (<see cref="IIngestLog.Subscribe"/>, the committed offsets) stops it too.
    /// </summary>
    private static bool IsTransientPollFailure(Exception ex) =>
        ex is IOException or UnauthorizedAccessException or TimeoutException
            || (ex is Confluent.Kafka.KafkaException kafka && !kafka.Error.IsFatal);

    private async Task<IReadOnlyList<IngestRecord>> PollUntilDoneAsync(BatchPoller poller, CancellationToken stoppingToken)
    {
        var delay = options.Value.RetryDelay;
        while (true)
        {
            try
            {
                return await poller.PollAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested && IsTransientPollFailure(ex))
            {
                LogPollFailed(logger, ex, delay);
                await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
                delay = NextDelay(delay);
            }
        }
    }

    /// <summary>The wait after a retry that failed again: twice the last, at most 30 s.</summary>
    private static TimeSpan NextDelay(TimeSpan delay) => TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));

    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private async Task CommitInOrderAsync(IIngestConsumer consumer, Task previous, Task applied, IReadOnlyList<IngestRecord> records, long polledAt, CancellationToken stoppingToken)
    {
        await previous.ConfigureAwait(false);
        await applied.ConfigureAwait(false);

        // Busy time of this batch: from when it was read, or from the previous batch's completion if it was read
        // while the consumer was still busy with that one. This chain runs one batch after another: no locks.
        var now = time.GetTimestamp();
        var busy = time.GetElapsedTime(Math.Max(polledAt, _lastAppliedAt), now);
        _lastAppliedAt = now;
        foreach (var record in records)
        {
            if (!_uncommitted.TryGetValue(record.Partition, out var highest) || record.Offset > highest.Offset)
            {
                _uncommitted[record.Partition] = record;
            }
        }

        _uncommittedRecords += records.Count;
        progress.Applied(records, busy); // committed in the store: readers may see it
        await CommitOffsetsAsync(consumer, force: false, stoppingToken).ConfigureAwait(false);
    }

    private async Task CommitOffsetsAfterAsync(IIngestConsumer consumer, Task previous, bool force, CancellationToken stoppingToken)
    {
        await previous.ConfigureAwait(false);
        await CommitOffsetsAsync(consumer, force, stoppingToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Commits the highest applied offset per partition, at most once per <see cref="IngestConsumerOptions.CommitInterval"/>
    /// unless forced: each commit is an fsync, and a crash only redelivers what the store already ignores.
    /// </summary>
    private async Task CommitOffsetsAsync(IIngestConsumer consumer, bool force, CancellationToken stoppingToken)
    {
        if (_uncommitted.Count == 0 || (!force && time.GetElapsedTime(_lastCommitAt) < options.Value.CommitInterval))
        {
            return;
        }

        var highest = _uncommitted.Values.ToList();
        await RetryUntilDoneAsync(
            async () =>
            {
                // Every batch below these offsets was written before this flush began: after it, they are durable.
                await background.Run(() => store.FlushAsync(stoppingToken)).ConfigureAwait(false);
                await consumer.CommitAsync(highest, stoppingToken).ConfigureAwait(false);
            },
            highest.Count,
            stoppingToken).ConfigureAwait(false);
        _uncommitted.Clear();
        _lastCommitAt = time.GetTimestamp();
        metrics.Committed(_uncommittedRecords);
        _uncommittedRecords = 0;
    }

    /// <summary>
    /// Decodes a batch. A corrupt record is skipped (logged); a failure that would hit every record (the process
    /// cannot decode records at all) is retried like a failed write, so nothing is committed past it.
    /// </summary>
    private async Task<List<IngestEvent>> ReadUntilDoneAsync(IReadOnlyList<IngestRecord> records, CancellationToken stoppingToken)
    {
        List<IngestEvent>? events = null;
        await RetryUntilDoneAsync(async () => events = await background.Run(() => Parse(records)).ConfigureAwait(false), records.Count, stoppingToken).ConfigureAwait(false);
        return events!;
    }

    private async Task ApplyUntilDoneAsync(List<IngestEvent> events, int recordCount, CancellationToken stoppingToken)
    {
        await RetryUntilDoneAsync(
            () => Task.WhenAll(events.GroupBy(e => e.TraceId, StringComparer.Ordinal).Select(trace => ApplyToTraceAsync(trace.Key, [.. trace]))),
            recordCount,
            stoppingToken).ConfigureAwait(false);
        metrics.Applied(events.Count);
        ObserveProjects(events);
    }

    /// <summary>Calls to a trace grain rejected in a row before its batch fails (and waits for its retry).</summary>
    private const int MaxRejectedApplies = 3;

    /// <summary>
    /// Applies one trace's events. A trace grain deactivates once its run ended, and Orleans forwards the calls queued
    /// behind that one to a new activation, at most twice: when the new one ends the run too (a failure, then a success,
    /// in batches applied at once), a call still queued is rejected although nothing failed. Sent again it finds a live
    /// activation, so only repeated rejections fail the batch. Applying twice is harmless (the grain and store ignore
    /// what they hold).
    /// </summary>
    private async Task ApplyToTraceAsync(string traceId, IReadOnlyList<IngestEvent> events)
    {
        for (var rejected = 1; ; rejected++)
        {
            try
            {
                await grains.GetGrain<ITraceGrain>(traceId).Apply(events).ConfigureAwait(false);
                return;
            }
            catch (OrleansMessageRejectionException) when (rejected < MaxRejectedApplies)
            {
            }
        }
    }

    /// <summary>
    /// Reports the applied poll to each project's grain, once per project: one-way, so it never holds up the batch, and a
    /// failure only costs the dashboard's live figures (logged, never thrown). Redelivered events count again there.
    /// </summary>
    private void ObserveProjects(List<IngestEvent> events)
    {
        var projects = new Dictionary<string, (int Events, int Steps, long LastEventAt)>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            ref var activity = ref CollectionsMarshal.GetValueRefOrAddDefault(projects, e.ProjectId, out var exists);
            activity.Events++;
            activity.Steps += e.Type is IngestEventType.Step or IngestEventType.Error ? 1 : 0;
            activity.LastEventAt = exists ? Math.Max(activity.LastEventAt, e.Timestamp) : e.Timestamp;
        }

        foreach (var (projectId, (count, steps, lastEventAt)) in projects)
        {
            try
            {
                grains.GetGrain<IProjectGrain>(projectId).Observe(new ProjectActivity(count, steps, lastEventAt)).Ignore();
            }
            catch (Exception ex)
            {
                LogObserveFailed(logger, ex, projectId);
            }
        }
    }

    /// <summary>A batch is never skipped: its writes and its commit are retried with backoff until they succeed or the silo stops.</summary>
    private async Task RetryUntilDoneAsync(Func<Task> attempt, int recordCount, CancellationToken stoppingToken)
    {
        var delay = options.Value.RetryDelay;
        while (true)
        {
            try
            {
                await attempt().ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogBatchFailed(logger, ex, recordCount, delay);
                await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
                delay = NextDelay(delay);
            }
        }
    }

    private List<IngestEvent> Parse(IReadOnlyList<IngestRecord> records)
    {
        var events = new List<IngestEvent>(records.Count);
        foreach (var record in records)
        {
            if (codec.TryDecode(record.Value, out var evt, out var error))
            {
                events.Add(evt!);
            }
            else
            {
                // The gateway checked it; a record that still fails is corrupt or foreign. Skipping it must not stop the silo.
                LogPoisonRecord(logger, record.Partition, record.Offset, error);
            }
        }

        return events;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading, applying or committing a batch of {Count} records failed; retrying in {Delay}")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling the ingest log failed; retrying in {Delay} (the records stay in the log)")]
    private static partial void LogPollFailed(ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reporting activity to project {ProjectId}'s grain failed; only its live figures miss it")]
    private static partial void LogObserveFailed(ILogger logger, Exception exception, string projectId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The ingest consumer stopped without committing its last offsets within {Timeout}; a restart redelivers those records (harmless)")]
    private static partial void LogStopCommitTimedOut(ILogger logger, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Error, Message = "Skipping unreadable record at partition {Partition} offset {Offset}: {Reason}")]
    private static partial void LogPoisonRecord(ILogger logger, int partition, long offset, string reason);
}
