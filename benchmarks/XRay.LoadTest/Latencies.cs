using System.Diagnostics;

namespace XRay.LoadTest;

/// <summary>
/// Latency samples kept whole (a 20 s run holds tens of thousands), so percentiles are exact, not bucketed.
/// Thread-safe; samples are Stopwatch ticks.
/// </summary>
internal sealed class Latencies
{
    private readonly List<long> _ticks = [];
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _ticks.Count;
            }
        }
    }

    public void Add(long ticks)
    {
        lock (_lock)
        {
            _ticks.Add(ticks);
        }
    }

    /// <summary>The p-th percentile (0–100) in milliseconds, nearest-rank; NaN without samples.</summary>
    public double Percentile(double p)
    {
        long[] sorted;
        lock (_lock)
        {
            sorted = [.. _ticks];
        }

        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        Array.Sort(sorted);
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)] * 1000.0 / Stopwatch.Frequency;
    }
}
