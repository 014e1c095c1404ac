using System.Text.Json;

namespace XRay.Grains.Ingest.Embedded;

/// <summary>
/// The committed offsets of every consumer group, one file per group (<c>offsets/{group}.json</c>), replaced
/// atomically: written to a temporary file, fsync'd, renamed over the old one, directory fsync'd.
/// </summary>
internal sealed class GroupOffsetStore : IDisposable
{
    private const string Extension = ".json";
    private const string PartitionsProperty = "partitions";

    private readonly string _directory;
    private readonly int _partitions;
    private readonly Dictionary<string, long[]> _groups = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    public GroupOffsetStore(string directory, int partitions)
    {
        _directory = directory;
        _partitions = partitions;
        Directory.CreateDirectory(directory);
        foreach (var path in Directory.EnumerateFiles(directory, "*" + Extension))
        {
            _groups[Path.GetFileNameWithoutExtension(path)] = Read(path);
        }
    }

    /// <summary>The group's committed offsets; a group seen for the first time starts at offset 0 everywhere.</summary>
    public long[] Get(string group)
    {
        lock (_lock)
        {
            if (!_groups.TryGetValue(group, out var offsets))
            {
                // Known from now on, so reclamation keeps what this group has not read yet.
                offsets = new long[_partitions];
                _groups[group] = offsets;
            }

            return (long[])offsets.Clone();
        }
    }

    /// <summary>A copy of the group's offsets, or null for a group never seen.</summary>
    public long[]? TryGet(string group)
    {
        lock (_lock)
        {
            return _groups.TryGetValue(group, out var offsets) ? (long[])offsets.Clone() : null;
        }
    }

    /// <summary>The smallest committed offset of <paramref name="partition"/> over all known groups.</summary>
    public long MinCommitted(int partition)
    {
        lock (_lock)
        {
            return _groups.Count == 0 ? 0 : _groups.Values.Min(offsets => offsets[partition]);
        }
    }

    /// <summary>Raises the group's offsets to <paramref name="offsets"/> (never lowers them) and persists them.</summary>
    public async ValueTask CommitAsync(string group, IReadOnlyList<long> offsets, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            long[] merged;
            lock (_lock)
            {
                merged = _groups.TryGetValue(group, out var current) ? (long[])current.Clone() : new long[_partitions];
            }

            for (var p = 0; p < _partitions; p++)
            {
                merged[p] = Math.Max(merged[p], offsets[p]);
            }

            Write(Path.Combine(_directory, group + Extension), merged);
            lock (_lock)
            {
                _groups[group] = merged;
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public void Dispose() => _writeGate.Dispose();

    private void Write(string path, long[] offsets)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray(PartitionsProperty);
            foreach (var offset in offsets)
            {
                json.WriteNumberValue(offset);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        var temporary = path + ".tmp";
        using (var handle = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write))
        {
            RandomAccess.Write(handle, buffer.GetBuffer().AsSpan(0, (int)buffer.Length), 0);
            RandomAccess.FlushToDisk(handle);
        }

        File.Move(temporary, path, overwrite: true);
        DirectorySync.Flush(_directory);
    }

    private long[] Read(string path)
    {
        var offsets = new long[_partitions];
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var stored = document.RootElement.GetProperty(PartitionsProperty);
        var count = Math.Min(stored.GetArrayLength(), _partitions);
        for (var p = 0; p < count; p++)
        {
            offsets[p] = stored[p].GetInt64();
        }

        return offsets;
    }
}
