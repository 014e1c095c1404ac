using XRay.Sdk.Events;

namespace XRay.Sdk;

/// <summary>
/// A step that times itself, from <see cref="Trace.BeginStep"/> until it is disposed. Set what the step
/// produced on it before disposing; call <see cref="Fail"/> to record it as an error instead.
/// </summary>
public sealed class StepScope : IDisposable
{
    private readonly Trace _trace;
    private readonly string _name;
    private readonly string? _kind;
    private readonly object? _input;
    private readonly DateTime _startedAt;
    private List<Guid>? _dataIds;
    private Exception? _exception;
    private int _ended;

    internal StepScope(Trace trace, string name, string? kind, object? input)
    {
        _trace = trace;
        _name = name;
        _kind = kind;
        _input = input;
        StepNumber = trace.NextStepNumber();
        _startedAt = trace.Now();
    }

    /// <summary>The step's number within its trace, taken when it began.</summary>
    public int StepNumber { get; }

    /// <summary>What the step produced.</summary>
    public object? Output { get; set; }

    /// <summary>What the step considered.</summary>
    public object? Candidates { get; set; }

    /// <summary>The filters applied and what each removed.</summary>
    public object? Filters { get; set; }

    /// <summary>Why the step decided what it decided.</summary>
    public string? Reasoning { get; set; }

    /// <summary>Anything else, as a JSON object.</summary>
    public object? Metadata { get; set; }

    /// <summary>Adds the id of a data blob (from <see cref="Trace.DataId(object)"/>) this step refers to.</summary>
    public void AddDataId(Guid dataId) => (_dataIds ??= []).Add(dataId);

    /// <summary>Marks the step as failed; it is recorded as an <c>error</c> step when disposed.</summary>
    public void Fail(Exception exception) => _exception = exception;

    /// <summary>Records the step with its duration. Only the first call records.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        var endedAt = _trace.EndOf(_startedAt);
        _trace.Post(new PendingEvent
        {
            Type = _exception is null ? EventType.Step : EventType.Error,
            Timestamp = endedAt,
            TraceId = _trace.TraceId,
            StepNumber = StepNumber,
            Name = _name,
            Kind = _kind,
            Input = _input,
            Output = Output,
            Candidates = Candidates,
            Filters = Filters,
            Reasoning = Reasoning,
            Metadata = Metadata,
            DataIds = _dataIds,
            StartedAt = _startedAt,
            EndedAt = endedAt,
            Exception = _exception,
        });
    }
}
