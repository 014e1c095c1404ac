namespace XRay.Grains.Projects;

/// <summary>
/// Event and step counts of the last <see cref="Seconds"/> seconds, one bucket per second in a ring: adding and summing
/// cost the same whatever the rate, and a bucket is reused once its second has left the window.
/// </summary>
internal sealed class ActivityWindow(TimeProvider time)
{
    public const int Seconds = 60;

    private readonly long[] _second = new long[Seconds]; // the Unix second each bucket counts
    private readonly long[] _events = new long[Seconds];
    private readonly long[] _steps = new long[Seconds];

    public void Add(int events, int steps)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var bucket = (int)(now % Seconds);
        if (_second[bucket] != now)
        {
            _second[bucket] = now;
            _events[bucket] = 0;
            _steps[bucket] = 0;
        }

        _events[bucket] += events;
        _steps[bucket] += steps;
    }

    /// <summary>The counts of the buckets whose second is within the last <see cref="Seconds"/>, this one included.</summary>
    public (long Events, long Steps) LastMinute()
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        long events = 0;
        long steps = 0;
        for (var bucket = 0; bucket < Seconds; bucket++)
        {
            // Unsigned: a bucket from a second ahead of the clock (set back) counts as outside too.
            if ((ulong)(now - _second[bucket]) < Seconds)
            {
                events += _events[bucket];
                steps += _steps[bucket];
            }
        }

        return (events, steps);
    }
}
