namespace XRay.Grains.Options;

/// <summary>Options of the embedded on-disk ingest log (configuration section <c>Ingest:Log</c>).</summary>
public sealed class EmbeddedIngestLogOptions
{
    /// <summary>Directory holding the partitions and the consumer groups' offsets; created on first start.</summary>
    public string Directory { get; set; } = "./xray-data/ingest-log";

    /// <summary>The topic name reported by the log (the Kafka topic's name, for symmetry).</summary>
    public string Topic { get; set; } = "xray-events";

    /// <summary>
    /// Number of partitions, each with its own writer thread and fsync. Keep it stable: committed offsets are
    /// per partition, and records of a partition dropped from the configuration would no longer be read, so the log
    /// refuses to open while such a partition holds records.
    /// </summary>
    public int Partitions { get; set; } = 2;

    /// <summary>Size at which a partition starts a new segment file; reclamation deletes whole segments.</summary>
    public long SegmentBytes { get; set; } = 64L << 20;

    /// <summary>Largest record an append takes; a larger one fails the whole append.</summary>
    public int MaxRecordBytes { get; set; } = 4 << 20;
}
