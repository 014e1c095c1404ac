namespace XRay.Testing;

/// <summary>Builds ingest events as the SDK sends them (docs/events.md), for tests and load.</summary>
public sealed class TraceEvents(string projectId)
{
    public string TraceId { get; init; } = $"{projectId}-{Guid.CreateVersion7():D}";

    public DateTimeOffset Start { get; init; } = DateTimeOffset.UtcNow;

    public static string NewId() => Guid.CreateVersion7().ToString("D");

    public object TraceStart(string name = "competitor-search", object? metadata = null, DateTimeOffset? at = null) => new
    {
        eventId = NewId(),
        type = "trace",
        traceId = TraceId,
        timestamp = at ?? Start,
        name,
        metadata = metadata ?? new { sku = "laptop-stand-42", region = "eu" },
    };

    public object Step(int number, string? stepId = null, string name = "filter", object? output = null) => new
    {
        eventId = NewId(),
        type = "step",
        traceId = TraceId,
        timestamp = Start.AddMilliseconds(number * 10),
        stepId = stepId ?? NewId(),
        stepNumber = number,
        name,
        kind = "filter",
        startedAt = Start.AddMilliseconds(number * 10),
        endedAt = Start.AddMilliseconds((number * 10) + 7),
        input = new { query = "laptop stand", candidates = 40 },
        output = output ?? new { kept = 12, dropped = 28 },
        candidates = new[] { new { id = "B01", title = "Aluminium laptop stand", score = 0.91 }, new { id = "B02", title = "Phone case", score = 0.12 } },
        filters = new[] { new { name = "category", removed = 28 } },
        reasoning = "Dropped items outside the laptop accessories category.",
    };

    public object Error(int number, string message = "search timed out") => new
    {
        eventId = NewId(),
        type = "error",
        traceId = TraceId,
        timestamp = Start.AddMilliseconds(number * 10),
        stepId = NewId(),
        stepNumber = number,
        name = "search",
        error = new { type = "TimeoutException", message, stack = "at Search()" },
    };

    public object Success(object? output = null, DateTimeOffset? at = null) => new
    {
        eventId = NewId(),
        type = "success",
        traceId = TraceId,
        timestamp = at ?? Start.AddSeconds(1),
        output = output ?? new { competitor = "B01" },
    };

    public object Failure(string message = "no competitor found", DateTimeOffset? at = null) => new
    {
        eventId = NewId(),
        type = "failure",
        traceId = TraceId,
        timestamp = at ?? Start.AddSeconds(1),
        error = new { type = "PipelineException", message },
    };

    public static object Batch(params object[] events) => new { events };
}
