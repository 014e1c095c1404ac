using System.Text.Json;
using BenchmarkDotNet.Attributes;
using XRay.Sdk.Events;

namespace XRay.Sdk.Benchmarks;

/// <summary>What a worker spends per event off the caller's thread: serializing it to the wire JSON.</summary>
[MemoryDiagnoser]
public class BackgroundBenchmarks
{
    private readonly EventWriter _writer = new(new JsonSerializerOptions(JsonSerializerDefaults.Web));
    private readonly PendingEvent _step = new()
    {
        Type = EventType.Step,
        TraceId = "0123456789abcdef01234567-0193a6f2-7c1e-7b3a-9f00-000000000000",
        Timestamp = DateTime.UtcNow,
        StepNumber = 3,
        Name = "filter",
        Kind = "filter",
        Input = new { query = "laptop stand", limit = 50 },
    };

    [Benchmark(Description = "serialize a step (worker)")]
    public byte[] SerializeStep() => _writer.Write(_step)!;

    [Benchmark(Description = "Guid.CreateVersion7() (OS random)")]
    public Guid OsId() => Guid.CreateVersion7();

    [Benchmark(Description = "Uuid7.New() (the SDK's)")]
    public Guid SdkId() => Uuid7.New();

    [Benchmark(Description = "DateTime.UtcNow")]
    public DateTime UtcNow() => DateTime.UtcNow;
}
