namespace XRay.Sdk;

/// <summary>A snapshot of what an <see cref="XRayTracer"/> has done since it started.</summary>
/// <param name="EventsRecorded">Events handed to the tracer (steps, errors, trace starts and ends), counted once a worker takes them or they are dropped.</param>
/// <param name="EventsSpooled">Events written to the spool (disk or memory) on their way to the gateway.</param>
/// <param name="EventsSent">Events the gateway accepted.</param>
/// <param name="EventsDropped">
/// Events lost: queue full, not serializable, too large, rejected by the gateway, evicted when the spool was full, or
/// left in a memory spool (or finished by a worker after it) when the tracer stopped.
/// </param>
/// <param name="BlobsSent">Data blobs uploaded.</param>
/// <param name="BlobsDropped">Data blobs lost, for the same reasons as events; too large is over <see cref="XRayOptions.MaxBlobSize"/>.</param>
/// <param name="Retries">HTTP attempts that failed transiently and were retried.</param>
/// <param name="SpoolBytes">Bytes waiting in the spool now; 0 while the spool is still opening (it opens in the background).</param>
/// <param name="SpoolIsDisk">
/// <see langword="true"/> when what is spooled now goes to disk; <see langword="false"/> when it stays in memory and dies
/// with the process: the spool fell back to memory at start, the disk refuses writes now (until it takes one again), or
/// the spool is still opening.
/// </param>
public readonly record struct XRayStats(
    long EventsRecorded,
    long EventsSpooled,
    long EventsSent,
    long EventsDropped,
    long BlobsSent,
    long BlobsDropped,
    long Retries,
    long SpoolBytes,
    bool SpoolIsDisk);
