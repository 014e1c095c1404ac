using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using XRay.Grains.Ingest;

namespace XRay.Benchmarks;

/// <summary>
/// CPU per event on both sides of the ingest log, for one run of a pipeline as the load tool sends it (a trace event,
/// 15 steps with input, output, candidates, filters and reasoning, a success event; 17 events, ~650 bytes each):
/// the consumer reading JSON records (parse, check, render: what it did for every event before the compact record)
/// against reading compact records, and the gateway's check and render of each event and its encoding.
/// </summary>
[MemoryDiagnoser]
public class IngestRecordBenchmarks
{
    private const string Project = "6751a0f0c2b1e3d4f5a6b7c8";

    private IngestRecordCodec _codec = null!;
    private byte[] _batch = [];
    private byte[][] _json = [];
    private byte[][] _compact = [];
    private List<IngestEvent> _accepted = [];

    [GlobalSetup]
    public void Setup()
    {
        _codec = new IngestRecordCodec(new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer<IngestEvent>>());
        var events = PipelineRun().ToList();
        _json = [.. events.Select(Encoding.UTF8.GetBytes)];
        _batch = Encoding.UTF8.GetBytes($"{{\"events\":[{string.Join(',', events)}]}}");
        _accepted = Accept();
        _compact = [.. _accepted.Select(_codec.Encode)];
    }

    [Benchmark(Baseline = true, Description = "consumer: JSON records (parse, check, render)")]
    public int ConsumerReadsJson() => Decode(_json);

    [Benchmark(Description = "consumer: compact records (decode)")]
    public int ConsumerReadsCompact() => Decode(_compact);

    [Benchmark(Description = "gateway: check and render (batch parsed once)")]
    public int GatewayChecks() => Accept().Count;

    [Benchmark(Description = "gateway: encode (after the check)")]
    public int GatewayEncodes() => _accepted.Sum(e => _codec.Encode(e).Length);

    private int Decode(byte[][] records)
    {
        var decoded = 0;
        foreach (var record in records)
        {
            if (!_codec.TryDecode(record, out _, out var error))
            {
                throw new InvalidOperationException(error);
            }

            decoded++;
        }

        return decoded;
    }

    private List<IngestEvent> Accept()
    {
        using var document = JsonDocument.Parse(_batch);
        var accepted = new List<IngestEvent>(_json.Length);
        foreach (var element in document.RootElement.GetProperty("events").EnumerateArray())
        {
            if (!IngestEventParser.TryAccept(element, Project, 64 * 1024, out var evt, out var error))
            {
                throw new InvalidOperationException(error);
            }

            accepted.Add(evt!);
        }

        return accepted;
    }

    private static IEnumerable<string> PipelineRun()
    {
        var traceId = $"{Project}-0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
        var at = new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
        string Id(int n) => $"0193a1b2-0000-7e5f-8a9b-{n:x12}";
        string Time(int ms) => at.AddMilliseconds(ms).ToString("O");

        yield return $$$"""{"eventId":"{{{Id(1)}}}","type":"trace","traceId":"{{{traceId}}}","timestamp":"{{{Time(0)}}}","name":"product-search","metadata":{"user":"u-42","query":"wireless headphones under 100","region":"eu-west"}}""";
        for (var step = 1; step <= 15; step++)
        {
            yield return $$$"""{"eventId":"{{{Id(100 + step)}}}","type":"step","traceId":"{{{traceId}}}","timestamp":"{{{Time(step * 40)}}}","stepId":"{{{Id(200 + step)}}}","stepNumber":{{{step}}},"name":"rank-candidates-{{{step}}}","kind":"llm","startedAt":"{{{Time(step * 40)}}}","endedAt":"{{{Time(step * 40 + 35)}}}","input":{"query":"wireless headphones","limit":20,"filters":["price<100","in-stock"]},"output":{"kept":3,"best":"sku-{{{step}}}881"},"candidates":[{"id":"sku-1","score":0.91},{"id":"sku-2","score":0.87},{"id":"sku-3","score":0.52}],"filters":{"minScore":0.6,"dropped":1},"reasoning":"Kept the candidates scoring above the threshold; sku-3 fell below 0.6 and was dropped.","metadata":{"model":"ranker-v3","tokens":412}}""";
        }

        yield return $$$"""{"eventId":"{{{Id(999)}}}","type":"success","traceId":"{{{traceId}}}","timestamp":"{{{Time(700)}}}","output":{"results":["sku-1881","sku-2881"]}}""";
    }
}
