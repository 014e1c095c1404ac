using Microsoft.Extensions.Logging;
using XRay.Sdk.Diagnostics;

namespace XRay.Sdk.Storage;

/// <summary>
/// The disk spool with the memory spool behind it: an entry the disk refuses once the tracer runs (the disk is full, the
/// directory became read-only or a file) is kept in memory instead, within <see cref="XRayOptions.MaxMemorySize"/> and
/// evicting its oldest as the memory spool does. The disk is tried first every time, so once it takes writes again new
/// entries go back to it. What is in memory dies with the process: <see cref="IsInMemory"/> tells the uploaders which
/// entries to count as dropped if they are still unsent when the tracer stops.
/// </summary>
internal sealed class FallbackStorage(DiskStorage disk, MemoryStorage memory, ILogger logger) : IStorageAdapter
{
    private int _spilling;

    public bool IsDurable => true; // per entry, IsInMemory tells what dies with the process

    /// <summary><see langword="false"/> from a write the disk refused until one it takes.</summary>
    public bool WritesToDisk => Volatile.Read(ref _spilling) == 0;

    public string Location => disk.Location;

    public long Size => disk.Size + memory.Size;

    public int Count => disk.Count + memory.Count;

    public bool TryWrite(string key, ReadOnlySpan<byte> data)
    {
        try
        {
            var written = disk.TryWrite(key, data);
            Volatile.Write(ref _spilling, 0);
            return written;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (Interlocked.Exchange(ref _spilling, 1) == 0)
            {
                Log.DiskUnwritable(logger, disk.Location, e); // once per run of failures, not once per entry
            }

            return memory.TryWrite(key, data);
        }
    }

    public byte[]? Read(string key) => memory.Read(key) ?? disk.Read(key); // each answers null at once for a key it does not hold

    public void Lease(string key)
    {
        disk.Lease(key);
        memory.Lease(key);
    }

    public bool Delete(string key) => memory.Delete(key) | disk.Delete(key); // both: each also ends its lease

    public bool IsInMemory(string key) => memory.Contains(key);

    /// <summary>Both lists merged, oldest first: keys are time-ordered (uuid v7), and each list is in its own order.</summary>
    public IReadOnlyList<string> List(string prefix)
    {
        var inMemory = memory.List(prefix);
        var onDisk = disk.List(prefix);
        if (inMemory.Count == 0)
        {
            return onDisk;
        }

        var merged = new List<string>(onDisk.Count + inMemory.Count);
        int d = 0, m = 0;
        while (d < onDisk.Count && m < inMemory.Count)
        {
            merged.Add(string.CompareOrdinal(onDisk[d], inMemory[m]) <= 0 ? onDisk[d++] : inMemory[m++]);
        }

        for (; d < onDisk.Count; d++)
        {
            merged.Add(onDisk[d]);
        }

        for (; m < inMemory.Count; m++)
        {
            merged.Add(inMemory[m]);
        }

        return merged;
    }
}
