using System.Buffers;
using System.Text.Json;

namespace XRay.LoadTest;

/// <summary>A trace whose last event (its <c>success</c>) is in a batch: what time-to-queryable waits for.</summary>
internal sealed record CompletedTrace(string TraceId, int Steps);

/// <summary>One request body of <c>POST /api/v1/ingest</c> and what it finishes.</summary>
internal sealed record IngestBatch(byte[] Body, int Events, IReadOnlyList<CompletedTrace> Completed);

/// <summary>
/// One client's endless stream of realistic pipeline runs (trace start, 10–20 steps with input, output,
/// candidates and reasoning, success), cut into ingest batches. Runs span batches, as with the SDK.
/// Ids are UUIDv7, like the SDK's, so the store's keys arrive in time order.
/// </summary>
internal sealed class PipelineEvents(string projectId, int seed, int minSteps = 10, int maxSteps = 20)
{
    private static readonly string[] Kinds = ["search", "filter", "rank", "llm", "classify"];
    private static readonly string[] Queries = ["wireless noise cancelling headphones", "4k monitor 27 inch", "trail running shoes women", "espresso machine grinder"];

    private readonly Random _random = new(seed);
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private string _traceId = string.Empty;
    private int _steps;
    private int _position = -1; // -1: no run open; 0: trace event next; 1..steps: step; steps+1: success

    /// <summary>The next <paramref name="size"/> events as one batch.</summary>
    public IngestBatch Next(int size)
    {
        _buffer.ResetWrittenCount();
        var completed = new List<CompletedTrace>(2);
        using (var writer = new Utf8JsonWriter(_buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("schemaVersion", 1);
            writer.WriteStartArray("events");
            for (var i = 0; i < size; i++)
            {
                WriteNext(writer, completed);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return new IngestBatch(_buffer.WrittenSpan.ToArray(), size, completed);
    }

    private void WriteNext(Utf8JsonWriter w, List<CompletedTrace> completed)
    {
        if (_position < 0)
        {
            _traceId = $"{projectId}-{Guid.CreateVersion7():D}";
            _steps = _random.Next(minSteps, maxSteps + 1);
            _position = 0;
        }

        var now = DateTime.UtcNow;
        w.WriteStartObject();
        w.WriteString("eventId", Guid.CreateVersion7());
        if (_position == 0)
        {
            WriteHeader(w, "trace", now);
            w.WriteString("name", "competitor search");
            w.WriteStartObject("metadata");
            w.WriteString("customer", $"cust-{_random.Next(1000)}");
            w.WriteString("pipelineVersion", "2.3.1");
            w.WriteEndObject();
        }
        else if (_position <= _steps)
        {
            WriteHeader(w, "step", now);
            WriteStep(w, now);
        }
        else
        {
            WriteHeader(w, "success", now);
            w.WriteStartObject("output");
            w.WriteString("selected", $"sku-{_random.Next(100_000)}");
            w.WriteEndObject();
            completed.Add(new CompletedTrace(_traceId, _steps));
        }

        w.WriteEndObject();
        _position = _position > _steps ? -1 : _position + 1;
    }

    private void WriteHeader(Utf8JsonWriter w, string type, DateTime now)
    {
        w.WriteString("type", type);
        w.WriteString("traceId", _traceId);
        w.WriteString("timestamp", now);
    }

    private void WriteStep(Utf8JsonWriter w, DateTime now)
    {
        var kind = Kinds[(_position - 1) % Kinds.Length];
        w.WriteString("stepId", Guid.CreateVersion7());
        w.WriteNumber("stepNumber", _position);
        w.WriteString("name", $"{kind} #{_position}");
        w.WriteString("kind", kind);
        w.WriteString("startedAt", now.AddMilliseconds(-_random.Next(5, 400)));
        w.WriteString("endedAt", now);
        w.WriteStartObject("input");
        w.WriteString("query", Queries[_random.Next(Queries.Length)]);
        w.WriteNumber("limit", 50);
        w.WriteEndObject();
        w.WriteStartObject("output");
        w.WriteNumber("kept", _random.Next(1, 40));
        w.WriteNumber("topScore", Math.Round(_random.NextDouble(), 3));
        w.WriteEndObject();
        w.WriteStartArray("candidates");
        for (var c = 0; c < 3; c++)
        {
            w.WriteStartObject();
            w.WriteString("id", $"sku-{_random.Next(100_000)}");
            w.WriteNumber("score", Math.Round(_random.NextDouble(), 3));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteString("reasoning", "Kept the candidates under the price cap with a rating above 4.2; the top score leads the runner-up by a clear margin.");
    }
}
