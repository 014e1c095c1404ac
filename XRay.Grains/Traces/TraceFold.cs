using XRay.Grains.Ingest;
using XRay.Grains.Storage;

namespace XRay.Grains.Traces;

/// <summary>Folds one trace's events into the rows of a store write, merging its trace events as the stores do (<see cref="TraceUpsert.Merge"/>).</summary>
public static class TraceFold
{
    public static TraceWriteBatch ToBatch(IReadOnlyList<IngestEvent> events)
    {
        var first = events[0];
        long startedAt = long.MaxValue;
        var trace = new TraceUpsert(first.TraceId, first.ProjectId, null, "running", startedAt, null, null, null, null, null);
        var steps = new List<StepRecord>();
        var data = new List<DataRecord>();
        foreach (var e in events)
        {
            startedAt = Math.Min(startedAt, e.StartedAt ?? e.Timestamp);
            switch (e.Type)
            {
                case IngestEventType.Trace:
                    trace = TraceUpsert.Merge(trace, trace with { Name = e.Name, Metadata = e.Metadata, NamedAt = e.Timestamp });
                    break;
                case IngestEventType.Step or IngestEventType.Error:
                    steps.Add(new StepRecord(e.StepId!, e.TraceId, e.StepNumber, e.Name!, e.Kind,
                        e.Type == IngestEventType.Error ? "error" : "ok", e.StartedAt ?? e.Timestamp, e.EndedAt, e.Document!));
                    break;
                case IngestEventType.Success or IngestEventType.Failure:
                    var status = e.Type == IngestEventType.Success ? "success" : "failure";
                    trace = TraceUpsert.Merge(trace, trace with { Status = status, EndedAt = e.Timestamp, Output = e.Output, Error = e.Error });
                    break;
                case IngestEventType.Data:
                    data.Add(new DataRecord(e.DataId!, e.TraceId, e.ProjectId, e.ContentType!, e.Size, e.Sha256, DateTimeOffset.FromUnixTimeMilliseconds(e.Timestamp)));
                    break;
            }
        }

        return new TraceWriteBatch([trace with { StartedAt = startedAt }], steps, data);
    }
}
