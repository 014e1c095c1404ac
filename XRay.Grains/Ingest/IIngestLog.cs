namespace XRay.Grains.Ingest;

/// <summary>
/// The durable ingest log between the gateway and the silo consumers, shaped like a Kafka topic:
/// records are appended round-robin to partitions; each consumer group reads every partition and
/// commits offsets. Implementations: the embedded on-disk log (default) and Kafka.
/// </summary>
public interface IIngestLog
{
    /// <summary>The topic name (Kafka: <c>xray-events</c>).</summary>
    string Topic { get; }

    /// <summary>Number of partitions.</summary>
    int PartitionCount { get; }

    /// <summary>The largest record <see cref="AppendAsync"/> takes; one larger fails the whole append.</summary>
    int MaxRecordBytes { get; }

    /// <summary>
    /// Appends the records durably. When the returned task completes, every record survives a crash of
    /// this process (and, for the embedded log, of the machine: the data is fsync'd). Concurrent callers
    /// share one flush (group commit). Throws when the records could not be made durable.
    /// </summary>
    ValueTask AppendAsync(IReadOnlyList<ReadOnlyMemory<byte>> records, CancellationToken cancellationToken = default);

    /// <summary>Opens a consumer of <paramref name="group"/> that reads from the group's committed offsets.</summary>
    IIngestConsumer Subscribe(string group);

    /// <summary>
    /// Per partition, an offset every record below which is durable: the offset the next appended record gets, as far
    /// as this process knows. Taken after an append, it is a read-your-writes fence: it covers every append this
    /// process saw complete before the call, so once a group's committed offsets reach it, the group has consumed
    /// them. Appends of other processes may be missed for a bounded time (embedded: none, one process owns the log;
    /// Kafka: <c>EndOffsetsRefresh</c>). Against a group's committed offsets it gives the group's lag.
    /// </summary>
    ValueTask<IReadOnlyList<long>> GetEndOffsetsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Per partition, the offset <paramref name="group"/> resumes from: its committed offset, or the oldest
    /// retained offset where it never committed. Does not create the group.
    /// </summary>
    ValueTask<IReadOnlyList<long>> GetCommittedOffsetsAsync(string group, CancellationToken cancellationToken = default);
}

/// <summary>
/// One consumer of a consumer group. One loop polls; <see cref="CommitAsync"/> may run concurrently with a
/// poll (the silo commits a batch while reading the next), but commits never run concurrently with each other.
/// </summary>
public interface IIngestConsumer : IAsyncDisposable
{
    /// <summary>
    /// Returns up to <paramref name="maxRecords"/> records not yet returned by this consumer, waiting at most
    /// <paramref name="maxWait"/> for the first one; an empty list when none arrived in time. Their values together
    /// take at most <paramref name="maxBytes"/>, except that a first record larger than that is returned alone, so
    /// that a poll always makes progress (as Kafka's <c>fetch.max.bytes</c>).
    /// </summary>
    /// <remarks>
    /// A poll that fails part way (an I/O error) returns the records it read before the failure, if any, and throws
    /// only when it read none: a record it took from the log is never dropped, so a caller may retry a failed poll
    /// without skipping records (and committing past them).
    /// </remarks>
    ValueTask<IReadOnlyList<IngestRecord>> PollAsync(int maxRecords, long maxBytes, TimeSpan maxWait, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="PollAsync(int, long, TimeSpan, CancellationToken)"/>, bounded only by the record count.</summary>
    ValueTask<IReadOnlyList<IngestRecord>> PollAsync(int maxRecords, TimeSpan maxWait, CancellationToken cancellationToken = default)
        => PollAsync(maxRecords, long.MaxValue, maxWait, cancellationToken);

    /// <summary>
    /// Durably commits, per partition, the offset after the highest record of <paramref name="records"/>;
    /// after a restart the group resumes there. Records before it may be reclaimed.
    /// </summary>
    ValueTask CommitAsync(IReadOnlyList<IngestRecord> records, CancellationToken cancellationToken = default);
}

/// <summary>A record read from the log. <see cref="Value"/> is one event, as <see cref="IngestRecordCodec"/> reads it: a compact record or the event's JSON (UTF-8).</summary>
public readonly record struct IngestRecord(int Partition, long Offset, ReadOnlyMemory<byte> Value);
