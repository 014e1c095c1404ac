using System.Runtime.InteropServices;

namespace XRay.Sdk.Processing;

/// <summary>
/// A bounded, lock-free, multi-producer multi-consumer ring (Dmitry Vyukov's algorithm). Enqueue never
/// blocks and never allocates: when the ring is full it says so and the caller drops the item.
/// </summary>
internal sealed class BoundedQueue<T>
    where T : class
{
    private readonly Cell[] _cells;
    private readonly long _mask;
    private PaddedCounter _enqueuePosition;
    private PaddedCounter _dequeuePosition;

    public BoundedQueue(int capacity)
    {
        var size = (int)Math.Max(2, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity));
        _cells = new Cell[size];
        _mask = size - 1;
        for (var i = 0; i < size; i++)
        {
            _cells[i].Sequence = i;
        }
    }

    public int Capacity => _cells.Length;

    /// <summary>Items in the ring; exact when no one is enqueuing or dequeuing.</summary>
    public long Count => Math.Max(0, Volatile.Read(ref _enqueuePosition.Value) - Volatile.Read(ref _dequeuePosition.Value));

    public bool TryEnqueue(T item)
    {
        var position = Volatile.Read(ref _enqueuePosition.Value);
        while (true)
        {
            ref var cell = ref _cells[position & _mask];
            var gap = Volatile.Read(ref cell.Sequence) - position;
            if (gap == 0)
            {
                var seen = Interlocked.CompareExchange(ref _enqueuePosition.Value, position + 1, position);
                if (seen == position)
                {
                    cell.Item = item;
                    Volatile.Write(ref cell.Sequence, position + 1);
                    return true;
                }

                position = seen;
            }
            else if (gap < 0)
            {
                return false; // full: the slot still holds an item a consumer has not taken
            }
            else
            {
                position = Volatile.Read(ref _enqueuePosition.Value);
            }
        }
    }

    public bool TryDequeue(out T? item)
    {
        var position = Volatile.Read(ref _dequeuePosition.Value);
        while (true)
        {
            ref var cell = ref _cells[position & _mask];
            var gap = Volatile.Read(ref cell.Sequence) - (position + 1);
            if (gap == 0)
            {
                var seen = Interlocked.CompareExchange(ref _dequeuePosition.Value, position + 1, position);
                if (seen == position)
                {
                    item = cell.Item;
                    cell.Item = null;
                    Volatile.Write(ref cell.Sequence, position + _mask + 1);
                    return true;
                }

                position = seen;
            }
            else if (gap < 0)
            {
                item = null;
                return false; // empty
            }
            else
            {
                position = Volatile.Read(ref _dequeuePosition.Value);
            }
        }
    }

    private struct Cell
    {
        public long Sequence;
        public T? Item;
    }
}

/// <summary>A counter alone on its cache line: producers and consumers write different counters.</summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct PaddedCounter
{
    [FieldOffset(64)]
    public long Value;
}
