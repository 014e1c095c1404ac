using Microsoft.Extensions.Options;
using XRay.Gateway.Options;
using XRay.Grains.Ingest;

namespace XRay.Gateway.Traces;

/// <summary>
/// Read-your-writes for trace reads in embedded mode: before reading the store, wait (bounded) until the
/// in-process consumer has applied everything the log held when the read began, so an event
/// acknowledged before the read is visible in its answer. On Kafka the end offsets come from a cache: exact for this
/// process's appends, up to <c>Ingest:Kafka:EndOffsetsRefresh</c> behind for other processes' (docs/ingest-log.md).
/// </summary>
public sealed class ReadFence(IIngestLog log, IngestProgress progress, IOptions<IngestOptions> options)
{
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        if (options.Value.ReadFenceTimeout <= TimeSpan.Zero)
        {
            return;
        }

        var end = await log.GetEndOffsetsAsync(cancellationToken);
        await progress.WaitForAsync(end, options.Value.ReadFenceTimeout, cancellationToken);
    }
}
