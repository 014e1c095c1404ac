namespace XRay.Sdk.Processing;

/// <summary>
/// One shrinking time budget spent across the steps of a flush or a shutdown: each step gets what the ones
/// before it left, so the whole returns within <see cref="Total"/> whatever a step is waiting for.
/// </summary>
internal readonly struct Budget(TimeSpan total, TimeProvider time)
{
    /// <summary>The longest wait a timer takes; a budget past it (weeks) is as good as none.</summary>
    private static readonly TimeSpan LongestWait = TimeSpan.FromMilliseconds(uint.MaxValue - 2);

    private readonly long _started = time.GetTimestamp();

    public TimeSpan Total => total;

    public TimeSpan Left
    {
        get
        {
            var left = total - time.GetElapsedTime(_started);
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }

    public bool Expired => Left == TimeSpan.Zero;

    /// <summary>
    /// Waits for <paramref name="task"/> while the budget lasts. <see langword="true"/> when it finished (its own
    /// failure included: it has ended, and logged what it could); <see langword="false"/> when the budget ran out first,
    /// and then the task runs on, unobserved.
    /// </summary>
    public async Task<bool> WaitAsync(Task task)
    {
        try
        {
            var left = Left;
            await (left < LongestWait ? task.WaitAsync(left, time) : task).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            return false;
        }
        catch (Exception)
        {
            // the task failed: it is over all the same, and a shutdown must not throw into the caller
        }

        return true;
    }
}
