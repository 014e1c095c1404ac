namespace XRay.Grains.Ingest;

/// <summary>
/// Offsets a log can report cheaply (the embedded log can; Kafka would need a round trip). Used for the
/// read-your-writes fence and for consumer lag.
/// </summary>
public interface IIngestLogOffsets
{
    /// <summary>Per partition, the offset the next appended record will get (everything below is durable).</summary>
    IReadOnlyDictionary<int, long> EndOffsets();

    /// <summary>Per partition, the group's committed offset (the next record it will read after a restart).</summary>
    IReadOnlyDictionary<int, long> CommittedOffsets(string group);
}
