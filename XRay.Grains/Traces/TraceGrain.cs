using Orleans.Concurrency;
using XRay.Grains.Ingest;
using XRay.Grains.Storage;

namespace XRay.Grains.Traces;

/// <summary>
/// Applies one trace's events: drops those this activation has already applied, folds the rest into
/// one trace upsert plus step and data rows, and returns once the group-committed write is in the store.
/// The store's unique ids make redelivery to a fresh activation harmless as well.
/// </summary>
[CollectionAgeLimit(Minutes = 2)]
public sealed class TraceGrain(TraceStoreWriter writer) : Grain, ITraceGrain
{
    private readonly HashSet<string> _applied = new(StringComparer.Ordinal);
    private string _status = "running";
    private long _eventsApplied;
    private int _stepEvents;

    private const int MaxRemembered = 10_000;

    public async Task Apply(IReadOnlyList<IngestEvent> events)
    {
        if (_applied.Count > MaxRemembered)
        {
            // Bounded memory for endless traces; the store's unique ids keep redelivery harmless without it.
            _applied.Clear();
        }

        var fresh = events.Where(e => !_applied.Contains(e.EventId)).DistinctBy(e => e.EventId).ToList();
        if (fresh.Count == 0)
        {
            return;
        }

        await writer.WriteAsync(TraceFold.ToBatch(fresh)).ConfigureAwait(true);
        foreach (var e in fresh)
        {
            _applied.Add(e.EventId);
            _eventsApplied++;
            if (e.StepId is not null)
            {
                _stepEvents++;
            }

            _status = e.Type switch
            {
                IngestEventType.Success => "success",
                IngestEventType.Failure => "failure",
                _ => _status,
            };
        }

        if (_status is not "running")
        {
            // A finished run gets few or no more events: free the activation now rather than after the age limit.
            // At tens of thousands of runs a minute, idle finished traces would otherwise hold hundreds of MB.
            // A late event reactivates the grain; the store's unique ids keep it harmless.
            DeactivateOnIdle();
        }
    }

    public Task<TraceSummary> GetSummary() =>
        Task.FromResult(new TraceSummary(this.GetPrimaryKeyString(), _status, _stepEvents, _eventsApplied));
}
