namespace XRay.Sdk.Diagnostics;

/// <summary>
/// Small numbers for the tracers alive in a process, tagged on their metrics: each takes the lowest one free and gives
/// it back when disposed, so a process that creates and disposes tracers over and over keeps reusing a few numbers
/// rather than growing the series its metrics backend stores.
/// </summary>
internal sealed class InstanceNumbers
{
    private readonly Lock _gate = new();
    private readonly SortedSet<int> _taken = [];

    public static InstanceNumbers Shared { get; } = new();

    public int Acquire()
    {
        lock (_gate)
        {
            var number = 1;
            foreach (var taken in _taken)
            {
                if (taken != number)
                {
                    break; // a gap: the lowest free number
                }

                number++;
            }

            _taken.Add(number);
            return number;
        }
    }

    public void Release(int number)
    {
        lock (_gate)
        {
            _taken.Remove(number);
        }
    }
}
