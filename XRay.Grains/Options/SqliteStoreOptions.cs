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

    /// <summary>Full path of the database file.</summary>
    public string DatabasePath => Path.GetFullPath(Path.Combine(DataDirectory, FileName));
}
