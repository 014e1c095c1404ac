using XRay.Grains.Storage;

namespace XRay.Grains.Ingest.Embedded;

/// <summary>
/// The committed offsets of every consumer group, one file per group (<c>offsets/{group}.offsets</c>, see
/// <see cref="OffsetsFile"/>), and in memory for reclamation and lag.
/// </summary>
internal sealed class GroupOffsetStore : IDisposable
{
    private readonly string _directory;
    private readonly int _partitions;
    private readonly Dictionary<string, long[]> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _sequences = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    public GroupOffsetStore(string directory, int partitions)
    {
        _directory = directory;
        _partitions = partitions;
        DirectorySync.Create(directory);
        foreach (var path in Directory.EnumerateFiles(directory, "*" + OffsetsFile.Extension))
        {
            var (sequence, stored) = OffsetsFile.Read(path);
            var group = Path.GetFileNameWithoutExtension(path);
            var offsets = new long[partitions];
            Array.Copy(stored, offsets, Math.Min(stored.Length, partitions));
            _groups[group] = offsets;
            _sequences[group] = sequence;
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

            var path = Path.Combine(_directory, group + OffsetsFile.Extension);
            if (_sequences.TryGetValue(group, out var sequence))
            {
                OffsetsFile.Write(path, sequence + 1, merged);
            }
            else
            {
                OffsetsFile.Create(path, merged);
            }

            _sequences[group] = sequence + 1;
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

    /// <summary>
    /// Lowers, and persists, every group's offsets that lie past <paramref name="ends"/> (the log lost its tail or was
    /// replaced): left there, they would skip the records appended since when the group resumes, and let reclamation
    /// take segments the group has not read. Called at start, before any append or commit. Returns the groups lowered.
    /// </summary>
    public List<string> LowerPast(IReadOnlyList<long> ends)
    {
        var lowered = new List<string>();
        lock (_lock)
        {
            foreach (var (group, offsets) in _groups.ToList())
            {
                if (!offsets.Where((offset, p) => offset > ends[p]).Any())
                {
                    continue;
                }

                var clamped = offsets.Select((offset, p) => Math.Min(offset, ends[p])).ToArray();
                var sequence = _sequences[group] + 1;
                OffsetsFile.Write(Path.Combine(_directory, group + OffsetsFile.Extension), sequence, clamped);
                _sequences[group] = sequence;
                _groups[group] = clamped;
                lowered.Add(group);
            }
        }

        return lowered;
    }

    public void Dispose() => _writeGate.Dispose();
}
