using Microsoft.Extensions.Options;
using XRay.Gateway.Options;
using XRay.Grains.Ingest;

namespace XRay.Gateway.Traces;

/// <summary>
/// Admission control for ingest while the in-process consumer is more than <see cref="IngestOptions.MaxApplyLag"/>
/// behind: acknowledging faster than the store can apply would only grow the backlog and the time until events are
/// queryable. A batch first waits (before its body is read, so TCP pushes back on the sender) for the consumer to
/// catch up, for at most <see cref="IngestOptions.MaxAdmissionWait"/>; only then is it refused with 429 and
/// <c>Retry-After</c>. Waiting instead of refusing at once keeps senders busy at the rate the store sustains, rather
/// than idle for a whole second each. The SDK keeps refused batches spooled and retries them.
/// </summary>
public sealed class IngestBackpressure(IIngestLog log, IngestProgress progress, IOptions<IngestOptions> options, TimeProvider time)
{
    /// <summary>Waits until the backlog allows a new batch; false (refuse) when it still does not after the admission wait.</summary>
    public async ValueTask<(bool Admitted, long Backlog)> AdmitAsync(CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var started = time.GetTimestamp();
        while (true)
        {
            var changed = progress.Changed;
            var backlog = progress.Backlog(await log.GetEndOffsetsAsync(cancellationToken));
            if (backlog <= limits.MinBacklogRecords || backlog <= progress.ApplyRate * limits.MaxApplyLag.TotalSeconds)
            {
                return (true, backlog);
            }

            var left = limits.MaxAdmissionWait - time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                return (false, backlog);
            }

            try
            {
                await changed.WaitAsync(left, time, cancellationToken);
            }
            catch (TimeoutException)
            {
                // Checked once more above, then refused.
            }
        }
    }
}
