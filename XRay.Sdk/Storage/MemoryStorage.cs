using System.Collections.Concurrent;

namespace XRay.Sdk.Storage;

/// <summary>The spool in memory: the fallback when the disk cannot be written. Lost when the process ends.</summary>
internal sealed class MemoryStorage(long limit, Action<string>? evicted = null) : SpoolStorage(limit, evicted)
{
    private readonly ConcurrentDictionary<string, byte[]> _entries = new(StringComparer.Ordinal);

    public override bool IsDurable => false;

    public override string Location => "memory";

    protected override void WriteCore(string key, ReadOnlySpan<byte> data) => _entries[key] = data.ToArray();

    protected override byte[]? ReadCore(string key) => _entries.TryGetValue(key, out var data) ? data : null;

    protected override void DeleteCore(string key) => _entries.TryRemove(key, out _);
}
