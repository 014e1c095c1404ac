namespace XRay.Grains.Options;

/// <summary>Options of the embedded SQLite document store.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>Directory holding the database file; created on first start.</summary>
    public string DataDirectory { get; set; } = "./xray-data";

    /// <summary>File name of the database inside <see cref="DataDirectory"/>.</summary>
    public string FileName { get; set; } = "xray.db";

    /// <summary>How long a connection waits for a lock held by another connection.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Page cache of the trace store's single writer connection, in MiB. The steps table has four B-trees; keeping
    /// their upper levels cached saves page reads on every insert.
    /// </summary>
    public int WriterCacheSizeMiB { get; set; } = 64;

    /// <summary>
    /// Pages (4 KiB) the write-ahead log grows to before the trace store's writer checkpoints it into the database
    /// file (SQLite's default). A checkpoint ends with an fsync of everything it copied: at 10,000 pages that burst
    /// (tens of MB) held the disk long enough to delay the ingest log's fsync, and so ACKs, by 10 ms; at 1,000 the
    /// bursts are small and the sustained rate is the same (docs/benchmarks.md).
    /// </summary>
    public int WalAutoCheckpointPages { get; set; } = 1_000;

    /// <summary>
    /// How much of the database file each reading connection maps into memory, in MiB (SQLite's <c>mmap_size</c>; 0
    /// reads every page with a system call into the connection's own page cache). A reader's cache starts cold whenever
    /// the writer has committed, which during ingest is always: mapped, a 1,000-step trace's documents read in 2.1 ms
    /// instead of 5.5 ms (docs/benchmarks.md). The map is the OS page cache, not memory of the process's own. The trace
    /// store's writer maps nothing (<see cref="Storage.Sqlite.SqliteDatabase.OpenDedicatedAsync"/>).
    /// </summary>
    public int MmapSizeMiB { get; set; } = 256;

    /// <summary>Full path of the database file.</summary>
    public string DatabasePath => Path.GetFullPath(Path.Combine(DataDirectory, FileName));
}
