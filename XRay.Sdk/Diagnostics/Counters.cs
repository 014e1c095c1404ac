namespace XRay.Sdk.Diagnostics;

/// <summary>The tracer's counters; every component adds to them, nothing reads them on the hot path (stats and metrics read them on demand).</summary>
internal sealed class Counters
{
    private long _eventsRecorded;
    private long _eventsSpooled;
    private long _eventsSent;
    private long _eventsDropped;
    private long _blobsSent;
    private long _blobsDropped;
    private long _retries;

    public void EventRecorded() => Interlocked.Increment(ref _eventsRecorded);

    public void EventsSpooled(long count) => Interlocked.Add(ref _eventsSpooled, count);

    public void EventsSent(long count) => Interlocked.Add(ref _eventsSent, count);

    public void EventsDropped(long count) => Interlocked.Add(ref _eventsDropped, count);

    public void BlobSent() => Interlocked.Increment(ref _blobsSent);

    public void BlobDropped() => Interlocked.Increment(ref _blobsDropped);

    public void Retried() => Interlocked.Increment(ref _retries);

    public long Recorded => Interlocked.Read(ref _eventsRecorded);

    public long Spooled => Interlocked.Read(ref _eventsSpooled);

    public long Sent => Interlocked.Read(ref _eventsSent);

    public long Dropped => Interlocked.Read(ref _eventsDropped);

    public long BlobsSent => Interlocked.Read(ref _blobsSent);

    public long BlobsDropped => Interlocked.Read(ref _blobsDropped);

    public long Retries => Interlocked.Read(ref _retries);

    public XRayStats Snapshot(long spoolBytes, bool spoolIsDisk) =>
        new(Recorded, Spooled, Sent, Dropped, BlobsSent, BlobsDropped, Retries, spoolBytes, spoolIsDisk);
}
