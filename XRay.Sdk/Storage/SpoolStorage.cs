namespace XRay.Sdk.Storage;

/// <summary>
/// The FIFO bookkeeping shared by disk and memory storage: sizes are tracked in memory, and a write
/// that would pass the cap first evicts the oldest entries. Subclasses only move bytes.
/// </summary>
internal abstract class SpoolStorage(long limit, Action<string>? evicted) : IStorageAdapter
{
    private readonly Lock _gate = new();
    private readonly LinkedList<(string Key, long Size)> _order = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, long Size)>> _index = new(StringComparer.Ordinal);
    private readonly HashSet<string> _leased = new(StringComparer.Ordinal);
    private long _size;

    public abstract bool IsDurable { get; }

    public bool WritesToDisk => IsDurable;

    public abstract string Location { get; }

    public long Limit => limit;

    public long Size
    {
        get
        {
            lock (_gate)
            {
                return _size;
            }
        }
    }

    /// <summary>Entries in the spool, of every kind.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _index.Count;
            }
        }
    }

    public bool IsInMemory(string key) => !IsDurable && Contains(key);

    /// <summary>Whether the entry is held (written, not yet deleted or evicted).</summary>
    public bool Contains(string key)
    {
        lock (_gate)
        {
            return _index.ContainsKey(key);
        }
    }

    public bool TryWrite(string key, ReadOnlySpan<byte> data)
    {
        if (data.Length > limit)
        {
            return false;
        }

        List<string>? victims = null;
        lock (_gate)
        {
            EvictLocked(data.Length, ref victims);
            _size += data.Length; // reserved now so concurrent writers see it
        }

        try
        {
            Evict(victims);
            WriteCore(key, data);
        }
        catch
        {
            lock (_gate)
            {
                _size -= data.Length;
            }

            throw;
        }

        lock (_gate)
        {
            _index[key] = _order.AddLast((key, data.Length));
        }

        return true;
    }

    public byte[]? Read(string key)
    {
        lock (_gate)
        {
            if (!_index.ContainsKey(key))
            {
                return null;
            }
        }

        return ReadCore(key);
    }

    /// <summary>
    /// Marks an entry as being sent: eviction passes over it, so an entry is never counted as dropped
    /// while an upload of it is under way. <see cref="Delete"/> ends the lease.
    /// </summary>
    public void Lease(string key)
    {
        lock (_gate)
        {
            _leased.Add(key);
        }
    }

    public bool Delete(string key)
    {
        lock (_gate)
        {
            _leased.Remove(key);
            if (!_index.TryGetValue(key, out var node))
            {
                return false;
            }

            RemoveLocked(node);
        }

        DeleteCore(key);
        return true;
    }

    public IReadOnlyList<string> List(string prefix)
    {
        lock (_gate)
        {
            var keys = new List<string>();
            foreach (var (key, _) in _order)
            {
                if (key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    keys.Add(key);
                }
            }

            return keys;
        }
    }

    /// <summary>Registers an entry found at start-up (oldest first), evicting if the cap shrank since.</summary>
    protected void Recover(string key, long size)
    {
        List<string>? victims = null;
        lock (_gate)
        {
            _index[key] = _order.AddLast((key, size));
            _size += size;
            EvictLocked(0, ref victims);
        }

        Evict(victims);
    }

    /// <summary>
    /// Takes the entries <paramref name="isLost"/> says were lost underneath the storage (a spool directory a temp cleaner
    /// removed) out of the spool, counting each as evicted, but those being sent (their bytes are in hand, and their
    /// delivery counts them). Only those: another writer may have written entries into the directory made again already.
    /// </summary>
    protected void ForgetLost(Func<string, bool> isLost)
    {
        List<string>? lost = null;
        lock (_gate)
        {
            for (var node = _order.First; node is not null;)
            {
                var next = node.Next;
                if (!_leased.Contains(node.Value.Key) && isLost(node.Value.Key))
                {
                    RemoveLocked(node);
                    (lost ??= []).Add(node.Value.Key);
                }

                node = next;
            }
        }

        foreach (var key in lost ?? [])
        {
            evicted?.Invoke(key);
        }
    }

    protected abstract void WriteCore(string key, ReadOnlySpan<byte> data);

    protected abstract byte[]? ReadCore(string key);

    protected abstract void DeleteCore(string key);

    /// <summary>
    /// Deletes what <see cref="EvictLocked"/> took out and counts each: best effort, since they are out of the
    /// bookkeeping already (a file a read-only directory keeps is deleted at the next start, or overwritten).
    /// </summary>
    private void Evict(List<string>? victims)
    {
        foreach (var victim in victims ?? [])
        {
            try
            {
                DeleteCore(victim);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // counted below all the same: the entry is gone from the spool
            }

            evicted?.Invoke(victim);
        }
    }

    private void EvictLocked(long incoming, ref List<string>? victims)
    {
        var node = _order.First;
        while (_size + incoming > limit && node is not null)
        {
            var next = node.Next;
            if (!_leased.Contains(node.Value.Key))
            {
                RemoveLocked(node);
                (victims ??= []).Add(node.Value.Key);
            }

            node = next;
        }
    }

    private void RemoveLocked(LinkedListNode<(string Key, long Size)> node)
    {
        _order.Remove(node);
        _index.Remove(node.Value.Key);
        _size -= node.Value.Size;
    }
}
