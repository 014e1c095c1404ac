using XRay.Grains.Storage;

namespace XRay.Grains.Projects;

/// <summary>
/// A project's dashboard figures: the store's exact totals, read at most once a second however many ask (callers in that
/// second share the read), and the live activity the ingest consumers report, kept in memory by this activation only.
/// </summary>
[CollectionAgeLimit(Minutes = 10)]
public sealed class ProjectGrain(ITraceStore store, TimeProvider time) : Grain, IProjectGrain
{
    private static readonly TimeSpan StatsMaxAge = TimeSpan.FromSeconds(1);

    private readonly ActivityWindow _window = new(time);
    private readonly DateTimeOffset _observingSince = time.GetUtcNow();
    private long? _lastEventAt;
    private Task<ProjectStats>? _stats;
    private long _statsReadAt;

    public Task Observe(ProjectActivity activity)
    {
        if (activity.Events > 0)
        {
            _window.Add(activity.Events, activity.Steps);
            _lastEventAt = Math.Max(_lastEventAt ?? long.MinValue, activity.LastEventAt);
        }

        return Task.CompletedTask;
    }

    public async Task<ProjectOverview> GetOverview()
    {
        var stats = await ReadStatsAsync().ConfigureAwait(true);
        var (events, steps) = _window.LastMinute();
        var observed = Math.Clamp((time.GetUtcNow() - _observingSince).TotalSeconds, 1, ActivityWindow.Seconds);
        return new ProjectOverview(
            this.GetPrimaryKeyString(), stats.Traces, stats.Running, stats.Success, stats.Failure, stats.Steps, stats.Data,
            events, steps, Math.Round(events / observed, 3),
            _lastEventAt is { } last ? DateTimeOffset.FromUnixTimeMilliseconds(last) : null, _observingSince);
    }

    /// <summary>The read in flight or done less than <see cref="StatsMaxAge"/> ago, else a new one; a failed read is never kept.</summary>
    private Task<ProjectStats> ReadStatsAsync()
    {
        if (_stats is null || (_stats.IsCompleted && (!_stats.IsCompletedSuccessfully || time.GetElapsedTime(_statsReadAt) >= StatsMaxAge)))
        {
            _statsReadAt = time.GetTimestamp();
            _stats = store.GetProjectStatsAsync(this.GetPrimaryKeyString());
        }

        return _stats;
    }
}
