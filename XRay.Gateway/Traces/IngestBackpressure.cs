using Microsoft.Extensions.Options;
using XRay.Gateway.Options;
using XRay.Grains.Ingest;

namespace XRay.Gateway.Traces;

/// <summary>
/// Refuses new batches (429) while the in-process consumer is more than <see cref="IngestOptions.MaxApplyLag"/>
/// behind: acknowledging faster than the store can apply would only grow the backlog and the time until
/// events are queryable. The SDK keeps such batches spooled and retries after <c>Retry-After</c>.
/// </summary>
public sealed class IngestBackpressure(IIngestLog log, IngestProgress progress, IOptions<IngestOptions> options)
{
    /// <summary>Whether to refuse now, and the backlog that decided it.</summary>
    public async ValueTask<(bool Refuse, long Backlog)> CheckAsync(CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var backlog = progress.Backlog(await log.GetEndOffsetsAsync(cancellationToken));
        if (backlog <= limits.MinBacklogRecords)
        {
            return (false, backlog);
        }

        return (backlog > progress.ApplyRate * limits.MaxApplyLag.TotalSeconds, backlog);
    }
}
