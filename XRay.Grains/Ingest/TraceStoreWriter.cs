using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using XRay.Grains.Storage;

namespace XRay.Grains.Ingest;

/// <summary>
/// Group commit for the trace store: trace grains hand in their writes concurrently; one loop merges
/// everything pending into a single transaction and completes every caller when it is committed.
/// One transaction of thousands of rows costs about what one of ten rows does.
/// </summary>
public sealed partial class TraceStoreWriter(ITraceStore store, BackgroundWork background, ConsumerMetrics metrics, ILogger<TraceStoreWriter> logger) : BackgroundService
{
    private const int MaxGroup = 512;
    private const int MinGroupRows = 1000;
    private static readonly TimeSpan MaxLinger = TimeSpan.FromMilliseconds(2);

    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>
    /// Writes the batch together with whatever else is pending; completes when it is committed to the store (readable,
    /// crash-safe; durable against power loss after the store's next <see cref="ITraceStore.FlushAsync"/>).
    /// </summary>
    public Task WriteAsync(TraceWriteBatch batch)
    {
        var pending = new Pending(batch, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_pending.Writer.TryWrite(pending))
        {
            return Task.FromException(new InvalidOperationException("The trace store writer has stopped."));
        }

        return pending.Done.Task;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var group = new List<Pending>();
        try
        {
            while (await _pending.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                group.Clear();
                var rows = 0;
                var deadline = Environment.TickCount64 + (long)MaxLinger.TotalMilliseconds; // one linger per group, from its first write
                while (true)
                {
                    while (group.Count < MaxGroup && _pending.Reader.TryRead(out var next))
                    {
                        group.Add(next);
                        rows += next.Batch.Steps.Count + next.Batch.Traces.Count + next.Batch.Data.Count;
                    }

                    // Each transaction costs a fixed amount beyond its rows (the pages it dirties are written to the WAL
                    // at commit): while a consumer batch's trace grains are still handing in their parts, wait briefly.
                    if (rows >= MinGroupRows || group.Count >= MaxGroup || !await MoreSoonAsync(deadline, stoppingToken).ConfigureAwait(false))
                    {
                        break;
                    }
                }

                await CommitAsync(group, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // A group read but not written when the silo stopped: its callers fail and their batches are redelivered.
            foreach (var unwritten in group)
            {
                unwritten.Done.TrySetException(new OperationCanceledException("The silo is stopping."));
            }

            _pending.Writer.TryComplete();
            while (_pending.Reader.TryRead(out var left))
            {
                left.Done.TrySetException(new OperationCanceledException("The silo is stopping."));
            }
        }
    }

    /// <summary>Waits until more is pending or the group's linger deadline passes; false when nothing more came (or stopping).</summary>
    private async Task<bool> MoreSoonAsync(long deadline, CancellationToken stoppingToken)
    {
        var left = deadline - Environment.TickCount64;
        if (left <= 0)
        {
            return false;
        }

        using var linger = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        linger.CancelAfter(TimeSpan.FromMilliseconds(left));
        try
        {
            return await _pending.Reader.WaitToReadAsync(linger.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false; // the group is written (or, when stopping, failed) by the caller
        }
    }

    private async Task CommitAsync(List<Pending> group, CancellationToken cancellationToken)
    {
        var merged = group.Count == 1
            ? group[0].Batch
            : new TraceWriteBatch(
                [.. group.SelectMany(p => p.Batch.Traces)],
                [.. group.SelectMany(p => p.Batch.Steps)],
                [.. group.SelectMany(p => p.Batch.Data)]);
        try
        {
            // Timed on the background thread: the transaction, not the wait for a thread. (A block body keeps this on
            // Run(Func<Task>), which completes when the write does.)
            await background.Run(async () =>
            {
                var started = Stopwatch.GetTimestamp();
                var inserted = await store.WriteAsync(merged, cancellationToken).ConfigureAwait(false);
                metrics.Written(Stopwatch.GetElapsedTime(started), inserted);
            }).ConfigureAwait(false);
            foreach (var pending in group)
            {
                pending.Done.TrySetResult();
            }
        }
        catch (Exception ex)
        {
            // Each caller fails and its consumer redelivers; nothing was acknowledged to it.
            LogWriteFailed(logger, ex, group.Count);
            foreach (var pending in group)
            {
                pending.Done.TrySetException(ex);
            }
        }
    }

    private sealed record Pending(TraceWriteBatch Batch, TaskCompletionSource Done);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing {Count} grouped trace batches to the store failed; they will be redelivered")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int count);
}
