namespace XRay.Sdk.Storage;

/// <summary>
/// Where batches and data blobs wait between being recorded and being accepted by the gateway.
/// Byte-capped: writing past the cap evicts the oldest entries first.
/// </summary>
internal interface IStorageAdapter
{
    /// <summary><see langword="true"/> for disk, which survives the process; <see langword="false"/> for memory.</summary>
    bool IsDurable { get; }

    /// <summary>
    /// Whether a write now lands on disk: <see cref="IsDurable"/>, except while a disk spool keeps in memory what the
    /// disk refuses (<see cref="FallbackStorage"/>). What <see cref="XRayStats.SpoolIsDisk"/> reports.
    /// </summary>
    bool WritesToDisk { get; }

    /// <summary>Where the entries live, for logs.</summary>
    string Location { get; }

    /// <summary>Bytes currently held.</summary>
    long Size { get; }

    /// <summary>Entries currently held, of every kind.</summary>
    int Count { get; }

    /// <summary>Stores an entry, evicting the oldest ones if needed; <see langword="false"/> when it could not be stored.</summary>
    bool TryWrite(string key, ReadOnlySpan<byte> data);

    /// <summary>The entry's bytes, or <see langword="null"/> if it is gone.</summary>
    byte[]? Read(string key);

    /// <summary>Protects an entry from eviction while it is being sent, until it is deleted.</summary>
    void Lease(string key);

    /// <summary>Removes an entry; <see langword="false"/> if it was already gone (deleted or evicted).</summary>
    bool Delete(string key);

    /// <summary>
    /// Whether the entry is held in memory, and so dies with the process: every entry of a memory spool, and an entry a
    /// disk spool had to keep in memory because the disk refused it (<see cref="FallbackStorage"/>).
    /// </summary>
    bool IsInMemory(string key);

    /// <summary>Keys that start with <paramref name="prefix"/>, oldest first.</summary>
    IReadOnlyList<string> List(string prefix);
}
