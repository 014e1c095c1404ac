using Orleans.Concurrency;

namespace XRay.Grains.Projects;

/// <summary>
/// One project, keyed by project id: its dashboard figures. The store's exact totals, read at most once a second, plus
/// the live activity the ingest consumers report (<see cref="Observe"/>), which this activation has seen since it started.
/// </summary>
public interface IProjectGrain : IGrainWithStringKey
{
    /// <summary>
    /// Records a poll's events for the project, after its trace grains applied them. One-way and interleaved: the
    /// consumer never waits for it, and a slow store read in <see cref="GetOverview"/> never queues it.
    /// </summary>
    [OneWay, AlwaysInterleave]
    Task Observe(ProjectActivity activity);

    /// <summary>The store's totals (at most a second old) and the live activity of the last minute.</summary>
    [ReadOnly]
    Task<ProjectOverview> GetOverview();
}

/// <summary>What one poll of the ingest log brought for a project: its events, how many of them were steps (step and error events), and the latest event time.</summary>
/// <param name="LastEventAt">The latest event timestamp among them, Unix milliseconds (the client's clock).</param>
[GenerateSerializer, Immutable]
public sealed record ProjectActivity(
    [property: Id(0)] int Events,
    [property: Id(1)] int Steps,
    [property: Id(2)] long LastEventAt);

/// <summary>
/// A project's figures: exact totals from the store, and live figures held by the grain's activation, which count
/// from <see cref="ObservingSince"/> on (a fresh activation knows nothing of the minute before it).
/// </summary>
/// <param name="EventsPerSecond">Events of the last minute per second of it, or of the time since <see cref="ObservingSince"/> when shorter.</param>
/// <param name="LastEventAt">The latest event timestamp observed (the client's clock); null before the first.</param>
[GenerateSerializer, Immutable]
public sealed record ProjectOverview(
    [property: Id(0)] string ProjectId,
    [property: Id(1)] long Traces,
    [property: Id(2)] long Running,
    [property: Id(3)] long Success,
    [property: Id(4)] long Failure,
    [property: Id(5)] long Steps,
    [property: Id(6)] long Data,
    [property: Id(7)] long EventsLastMinute,
    [property: Id(8)] long StepsLastMinute,
    [property: Id(9)] double EventsPerSecond,
    [property: Id(10)] DateTimeOffset? LastEventAt,
    [property: Id(11)] DateTimeOffset ObservingSince);
