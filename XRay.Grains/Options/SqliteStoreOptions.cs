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
    /// file. SQLite's default, 1000, checkpoints after nearly every ingest transaction; a checkpoint copies each
    /// page once however often it changed, so a larger log copies (and syncs) less.
    /// </summary>
    public int WalAutoCheckpointPages { get; set; } = 10_000;

    /// <summary>Full path of the database file.</summary>
    public string DatabasePath => Path.GetFullPath(Path.Combine(DataDirectory, FileName));
}
