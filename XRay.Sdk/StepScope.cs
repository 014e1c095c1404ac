using XRay.Sdk.Events;

namespace XRay.Sdk;

/// <summary>
/// A step that times itself, from <see cref="Trace.BeginStep"/> until it is disposed. Set what the step
/// produced on it before disposing; call <see cref="Fail"/> to record it as an error instead.
/// </summary>
public sealed class StepScope : IDisposable
{
    private readonly Trace _trace;
    private readonly PendingEvent _event; // filled in place: the scope adds one small object to the event it records
    private List<Guid>? _dataIds;
    private bool _ended;

    internal StepScope(Trace trace, PendingEvent pending)
    {
        _trace = trace;
        _event = pending;
    }

    /// <summary>The step's number within its trace, taken when it began.</summary>
    public int StepNumber => _event.StepNumber;

    /// <summary>What the step produced.</summary>
    public object? Output
    {
        get => _event.Output;
        set => _event.Output = value;
    }

    /// <summary>What the step considered.</summary>
    public object? Candidates
    {
        get => _event.Candidates;
        set => _event.Candidates = value;
    }

    /// <summary>The filters applied and what each removed.</summary>
    public object? Filters
    {
        get => _event.Filters;
        set => _event.Filters = value;
    }

    /// <summary>Why the step decided what it decided.</summary>
    public string? Reasoning
    {
        get => _event.Reasoning;
        set => _event.Reasoning = value;
    }

    /// <summary>Anything else, as a JSON object.</summary>
    public object? Metadata
    {
        get => _event.Metadata;
        set => _event.Metadata = value;
    }

    /// <summary>Adds the id of a data blob (from <see cref="Trace.DataId(object)"/>) this step refers to.</summary>
    public void AddDataId(Guid dataId) => (_dataIds ??= []).Add(dataId);

    /// <summary>Marks the step as failed; it is recorded as an <c>error</c> step when disposed.</summary>
    public void Fail(Exception exception) => _event.Exception = exception;

    /// <summary>Records the step with its duration. Only the first call records (a scope belongs to one flow of code).</summary>
    public void Dispose()
    {
        if (_ended)
        {
            return;
        }

        _ended = true;
        var endedAt = _trace.EndOf(_event.StartedAt);
        _event.Type = _event.Exception is null ? EventType.Step : EventType.Error;
        _event.Timestamp = endedAt;
        _event.EndedAt = endedAt;
        _event.DataIds = _dataIds;
        _trace.Post(_event);
    }
}
