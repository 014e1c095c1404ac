namespace XRay.Grains.Options;

/// <summary>How the silo consumes the ingest log (section <c>Ingest:Consumer</c>).</summary>
public sealed class IngestConsumerOptions
{
    /// <summary>
    /// Consumer group (Kafka: <c>xray-consumers</c>): 1 to 200 ASCII letters, digits, '.', '_' or '-', not starting with
    /// '.' (legal for a Kafka group, and the embedded log names a file after it).
    /// </summary>
    public string GroupId { get; set; } = "xray-consumers";

    /// <summary>Most records applied per batch.</summary>
    public int MaxBatchSize { get; set; } = 1000;

    /// <summary>
    /// Most bytes of record values per batch (default 16 MiB), as Kafka's <c>fetch.max.bytes</c>: a single record
    /// larger than this still makes a batch of its own. Bounds the consumer's memory by bytes where
    /// <see cref="MaxBatchSize"/> bounds it by count: at most (<see cref="MaxBatchesInFlight"/> + 1) batches are held.
    /// </summary>
    public long MaxBatchBytes { get; set; } = 16L << 20;

    /// <summary>
    /// How long a batch smaller than <see cref="MaxBatchSize"/> waits for more records before it is applied: fewer,
    /// larger store transactions below the maximum rate. Adds at most this to time-to-queryable. Zero applies at once.
    /// </summary>
    public TimeSpan BatchLinger { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How long a poll waits for the first record.</summary>
    public TimeSpan PollWait { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Batches applied at once: the next is read and parsed while the previous is written. Commits stay in order.
    /// Only a consumer that is behind fills them; their trace grains then hand the store's writer more rows per
    /// transaction. 8 rather than 4 sustained 8 % more at the maximum rate (docs/benchmarks.md, ninth session). The
    /// records of these batches, and of one being read, are held in memory: at most (this + 1) × MaxBatchSize records and
    /// (this + 1) × <see cref="MaxBatchBytes"/> bytes of values.
    /// </summary>
    public int MaxBatchesInFlight { get; set; } = 8;

    /// <summary>
    /// Least time between two offset commits (each is an fsync). A crash redelivers what was applied since the last
    /// commit (about this much, plus the batches in flight), which the store ignores (unique ids). Zero commits after
    /// every batch.
    /// </summary>
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Pause after each batch, to protect the store under sustained load (the seed's "delay between batches").</summary>
    public TimeSpan PauseBetweenBatches { get; set; } = TimeSpan.Zero;

    /// <summary>Wait before retrying a batch whose write failed; doubles up to 30 s.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Threads that parse batches, write the store and sync it, at a lower priority than ingest requests
    /// (<see cref="Ingest.BackgroundWork"/>).
    /// </summary>
    public int BackgroundThreads { get; set; } = 2;

    /// <summary>Nice value of those threads on Linux (0 to 19; 0 keeps normal priority and the normal I/O class).</summary>
    public int BackgroundNice { get; set; } = 10;

    /// <summary>
    /// Also run those threads under Linux's <c>SCHED_IDLE</c> policy (when <see cref="BackgroundNice"/> is above 0):
    /// a request thread that wakes preempts them at once, where a nice value only shrinks their share of the cores,
    /// which took 1–2 ms off the ACK's p99 at half the maximum rate. Off by default: such threads run only on time no
    /// normal thread wants, so on a saturated machine the consumer starves and acknowledged events stop becoming
    /// queryable (seen with two CPU-bound neighbours). For a machine that runs X-Ray alone.
    /// </summary>
    public bool BackgroundIdleScheduling { get; set; }
}
