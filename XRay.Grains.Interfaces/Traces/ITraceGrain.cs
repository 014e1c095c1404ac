using XRay.Grains.Ingest;

namespace XRay.Grains.Traces;

/// <summary>
/// One trace, keyed by trace id. Applies the trace's events idempotently (redelivered events are
/// ignored) and returns once they are committed to the store (durable after its next flush); keeps the live summary of the run.
/// </summary>
public interface ITraceGrain : IGrainWithStringKey
{
    Task Apply(IReadOnlyList<IngestEvent> events);

    /// <summary>The live summary held by this activation: status, and the step events and all events it applied (not those of earlier activations).</summary>
    Task<TraceSummary> GetSummary();
}

[GenerateSerializer, Immutable]
public sealed record TraceSummary(
    [property: Id(0)] string TraceId,
    [property: Id(1)] string Status,
    [property: Id(2)] int StepCount,
    [property: Id(3)] long EventsApplied);
