namespace XRay.Sdk.Storage;

/// <summary>
/// The spool, opened on the thread pool: making the directory, the probe write and the scan of what an earlier run left
/// (thousands of files, or a hung disk) never run on the thread that creates the tracer. Every member waits for the open,
/// so only background threads may call them: the workers, the batch queue's hand-on and the uploaders once
/// <see cref="Opened"/> completes. The caller's thread reads <see cref="Current"/>, which is <see langword="null"/> until
/// then, and answers without the spool.
/// </summary>
internal sealed class OpeningStorage(Func<IStorageAdapter> open) : IStorageAdapter
{
    private readonly Task<IStorageAdapter> _open = Task.Run(open);

    /// <summary>Completes when the spool is open; never faults (the opener falls back to memory).</summary>
    public Task Opened => _open;

    /// <summary>The open spool, or <see langword="null"/> while it is opening: never waits.</summary>
    public IStorageAdapter? Current => _open.IsCompletedSuccessfully ? _open.Result : null;

    public bool IsDurable => Storage.IsDurable;

    public bool WritesToDisk => Storage.WritesToDisk;

    public string Location => Storage.Location;

    public long Size => Storage.Size;

    public int Count => Storage.Count;

    private IStorageAdapter Storage => _open.GetAwaiter().GetResult();

    public bool TryWrite(string key, ReadOnlySpan<byte> data) => Storage.TryWrite(key, data);

    public byte[]? Read(string key) => Storage.Read(key);

    public void Lease(string key) => Storage.Lease(key);

    public bool Delete(string key) => Storage.Delete(key);

    public bool IsInMemory(string key) => Storage.IsInMemory(key);

    public IReadOnlyList<string> List(string prefix) => Storage.List(prefix);
}
