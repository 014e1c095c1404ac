using XRay.Sdk.Events;
using XRay.Sdk.Processing;
using XRay.Sdk.Storage;

namespace XRay.Sdk;

/// <summary>
/// One run of a pipeline. Record its steps in order with <see cref="Step"/>, <see cref="BeginStep"/> or
/// <see cref="Capture{T}"/>, attach large values with <see cref="DataId(object)"/>, and end it with
/// <see cref="Success"/> or <see cref="Failure(Exception)"/>. Every method returns at once and never throws
/// because of X-Ray; objects passed in are serialized later, on a background worker (see the README).
/// Thread-safe: steps may be recorded from several threads; their numbers follow the order of the calls.
/// </summary>
public sealed partial class Trace
{
    private readonly EventPipeline? _pipeline;
    private int _stepCount;

    internal Trace(string traceId, string name, EventPipeline? pipeline)
    {
        TraceId = traceId;
        Name = name;
        _pipeline = pipeline;
    }

    /// <summary>The trace id, <c>{projectId}-{uuid}</c>; use it to find the run in X-Ray.</summary>
    public string TraceId { get; }

    /// <summary>The name the trace was created with.</summary>
    public string Name { get; }

    /// <summary>Steps numbered so far (steps and errors).</summary>
    public int StepCount => Volatile.Read(ref _stepCount);

    /// <summary>
    /// Stores <paramref name="value"/> as a JSON data blob and returns its id at once; the blob is
    /// serialized and uploaded in the background. Pass the id in a step's <c>dataIds</c>.
    /// </summary>
    public Guid DataId(object? value) => PostBlob(value, BlobContent.Json);

    /// <summary>Stores <paramref name="text"/> as a <c>text/plain</c> data blob (a prompt, a response) and returns its id.</summary>
    public Guid DataText(string text) => PostBlob(text, BlobContent.Text);

    /// <summary>Stores raw bytes as an <c>application/octet-stream</c> data blob and returns its id. The array must not change afterwards.</summary>
    public Guid DataBytes(byte[] bytes) => PostBlob(bytes, BlobContent.Binary);

    /// <summary>Records a step that has happened, numbered after the previous one.</summary>
    /// <param name="name">What the step is, such as <c>filter-by-price</c>.</param>
    /// <param name="kind">Its kind: <c>llm</c>, <c>search</c>, <c>filter</c>, <c>rank</c>, ...</param>
    /// <param name="input">What went in.</param>
    /// <param name="output">What came out.</param>
    /// <param name="candidates">What the step considered.</param>
    /// <param name="filters">The filters applied and what each removed.</param>
    /// <param name="reasoning">Why the step decided what it decided.</param>
    /// <param name="metadata">Anything else, as a JSON object.</param>
    /// <param name="dataIds">Ids from <see cref="DataId(object)"/> of the blobs this step refers to.</param>
    public void Step(
        string name,
        string? kind = null,
        object? input = null,
        object? output = null,
        object? candidates = null,
        object? filters = null,
        string? reasoning = null,
        object? metadata = null,
        IReadOnlyList<Guid>? dataIds = null)
    {
        if (_pipeline is null)
        {
            return;
        }

        _pipeline.Post(new PendingEvent
        {
            Type = EventType.Step,
            TraceId = TraceId,
            Timestamp = _pipeline.Time.GetUtcNow().UtcDateTime,
            StepNumber = Interlocked.Increment(ref _stepCount),
            Name = name,
            Kind = kind,
            Input = input,
            Output = output,
            Candidates = candidates,
            Filters = filters,
            Reasoning = reasoning,
            Metadata = metadata,
            DataIds = dataIds,
        });
    }

    /// <summary>Starts a step that times itself: set its outcome on the returned scope and dispose it (<c>using</c>).</summary>
    /// <param name="name">What the step is.</param>
    /// <param name="kind">Its kind: <c>llm</c>, <c>search</c>, <c>filter</c>, <c>rank</c>, ...</param>
    /// <param name="input">What went in.</param>
    public StepScope BeginStep(string name, string? kind = null, object? input = null) =>
        new(this, new PendingEvent
        {
            Type = EventType.Step,
            TraceId = TraceId,
            StepNumber = NextStepNumber(),
            Name = name,
            Kind = kind,
            Input = input,
            StartedAt = Now(),
        });

    /// <summary>Records a step that failed with <paramref name="exception"/>.</summary>
    /// <param name="name">What the step is.</param>
    /// <param name="exception">What went wrong; its type, message and stack trace are recorded.</param>
    /// <param name="kind">Its kind.</param>
    /// <param name="input">What went in.</param>
    /// <param name="metadata">Anything else, as a JSON object.</param>
    public void Error(string name, Exception exception, string? kind = null, object? input = null, object? metadata = null)
    {
        if (_pipeline is null)
        {
            return;
        }

        Post(new PendingEvent
        {
            Type = EventType.Error,
            TraceId = TraceId,
            StepNumber = NextStepNumber(),
            Name = name,
            Kind = kind,
            Input = input,
            Metadata = metadata,
            Exception = exception,
        });
    }

    /// <summary>Ends the run successfully.</summary>
    /// <param name="output">What the pipeline produced.</param>
    public void Success(object? output = null) =>
        Post(new PendingEvent { Type = EventType.Success, TraceId = TraceId, Output = output });

    /// <summary>Ends the run as failed with <paramref name="exception"/>.</summary>
    public void Failure(Exception exception) =>
        Post(new PendingEvent { Type = EventType.Failure, TraceId = TraceId, Exception = exception });

    /// <summary>Ends the run as failed, with a message.</summary>
    public void Failure(string message) =>
        Post(new PendingEvent { Type = EventType.Failure, TraceId = TraceId, ErrorMessage = message });

    internal int NextStepNumber() => Interlocked.Increment(ref _stepCount);

    internal DateTime Now() => _pipeline?.Time.GetUtcNow().UtcDateTime ?? DateTime.UtcNow;

    /// <summary>
    /// The end of a step that began at <paramref name="startedAt"/>: the wall clock again, as OpenTelemetry
    /// does for activities (reading a clock costs more than it seems on some hosts), never before the start.
    /// </summary>
    internal DateTime EndOf(DateTime startedAt)
    {
        var now = Now();
        return now < startedAt ? startedAt : now;
    }

    internal void Post(PendingEvent e)
    {
        if (_pipeline is null)
        {
            return;
        }

        if (e.Timestamp == default)
        {
            e.Timestamp = _pipeline.Time.GetUtcNow().UtcDateTime;
        }

        _pipeline.Post(e);
    }

    private Guid PostBlob(object? value, BlobContent content)
    {
        var dataId = Uuid7.New();
        Post(new PendingEvent { Type = EventType.Blob, TraceId = TraceId, DataId = dataId, Input = value, Content = content });
        return dataId;
    }
}
