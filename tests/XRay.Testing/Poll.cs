using System.Diagnostics;
using System.Globalization;

namespace XRay.Testing;

/// <summary>
/// Waits for something to hold by asking again and again, with a generous deadline: instead of sleeps and timed
/// assertions, so a test waits as long as a loaded machine needs and no longer than the answer takes.
/// </summary>
public static class Poll
{
    /// <summary>The pause between two reads unless a caller names another.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Reads until <paramref name="done"/> holds for what was read, and returns that. After <paramref name="timeout"/>
    /// throws a <see cref="TimeoutException"/> naming <paramref name="what"/> and the last value read (its <c>ToString</c>,
    /// so read something that describes itself). An exception from <paramref name="read"/> (a wrong status, say) ends the
    /// wait at once.
    /// </summary>
    public static async Task<T> UntilAsync<T>(
        Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, string what, TimeSpan? interval = null, CancellationToken cancellationToken = default)
    {
        var (value, held) = await ReadUntilAsync(read, done, timeout, interval, cancellationToken).ConfigureAwait(false);
        return held
            ? value
            : throw new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"Waited {timeout.TotalSeconds:0.###} s for {what}{(value is bool ? "" : $"; the last reading was: {value}")}"));
    }

    /// <summary>
    /// Reads until <paramref name="done"/> holds or <paramref name="timeout"/> passes, and returns the last reading and
    /// whether it held: for a caller that reports what it found either way (the load tool's counters).
    /// </summary>
    public static async Task<(T Last, bool Held)> ReadUntilAsync<T>(
        Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, TimeSpan? interval = null, CancellationToken cancellationToken = default)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var value = await read().ConfigureAwait(false);
            if (done(value))
            {
                return (value, true);
            }

            if (waited.Elapsed > timeout)
            {
                return (value, false);
            }

            await Task.Delay(interval ?? DefaultInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds (<see cref="UntilAsync{T}"/>).</summary>
    public static Task UntilAsync(
        Func<Task<bool>> condition, TimeSpan timeout, string what, TimeSpan? interval = null, CancellationToken cancellationToken = default) =>
        UntilAsync(condition, holds => holds, timeout, what, interval, cancellationToken);

    /// <summary>Waits until <paramref name="condition"/> holds (<see cref="UntilAsync{T}"/>).</summary>
    public static Task UntilAsync(
        Func<bool> condition, TimeSpan timeout, string what, TimeSpan? interval = null, CancellationToken cancellationToken = default) =>
        UntilAsync(() => Task.FromResult(condition()), holds => holds, timeout, what, interval, cancellationToken);
}
