using XRay.Grains.Ingest;
using XRay.Grains.Storage;

namespace XRay.Grains.Traces;

/// <summary>Folds one trace's events into the rows of a store write.</summary>
public static class TraceFold
{
    public static TraceWriteBatch ToBatch(IReadOnlyList<IngestEvent> events)
    {
        var first = events[0];
        string? name = null, metadata = null, output = null, error = null;
        var status = "running";
        long startedAt = long.MaxValue;
        long? endedAt = null;
        var steps = new List<StepRecord>();
        var data = new List<DataRecord>();
        foreach (var e in events)
        {
            startedAt = Math.Min(startedAt, e.StartedAt ?? e.Timestamp);
            switch (e.Type)
            {
                case IngestEventType.Trace:
                    name = e.Name;
                    metadata = e.Metadata;
                    break;
                case IngestEventType.Step or IngestEventType.Error:
                    steps.Add(new StepRecord(e.StepId!, e.TraceId, e.StepNumber, e.Name!, e.Kind,
                        e.Type == IngestEventType.Error ? "error" : "ok", e.StartedAt ?? e.Timestamp, e.EndedAt, e.Document!));
                    break;
                case IngestEventType.Success or IngestEventType.Failure:
                    status = e.Type == IngestEventType.Success ? "success" : "failure";
                    endedAt = e.Timestamp;
                    output = e.Output ?? output;
                    error = e.Error ?? error;
                    break;
                case IngestEventType.Data:
                    data.Add(new DataRecord(e.DataId!, e.TraceId, e.ProjectId, e.ContentType!, e.Size, e.Sha256, DateTimeOffset.FromUnixTimeMilliseconds(e.Timestamp)));
                    break;
            }
        }

        var trace = new TraceUpsert(first.TraceId, first.ProjectId, name, status, startedAt, endedAt, metadata, output, error);
        return new TraceWriteBatch([trace], steps, data);
    }
}
