using System.Text.Json;
using Json.Schema;

namespace XRay.Testing;

/// <summary>The event contract's JSON Schema (<c>docs/schema/ingest-batch.v1.json</c>), with formats asserted.</summary>
public static class IngestSchema
{
    public static string Path { get; } = System.IO.Path.Combine(RepositoryPaths.Root, "docs", "schema", "ingest-batch.v1.json");

    private static readonly JsonSchema Schema = JsonSchema.FromText(File.ReadAllText(Path));

    private static readonly EvaluationOptions Options = new() { RequireFormatValidation = true, OutputFormat = OutputFormat.List };

    /// <summary>Null when <paramref name="batch"/> (a request body) is valid, else what the schema says is wrong.</summary>
    public static string? Problems(JsonElement batch)
    {
        var result = Schema.Evaluate(batch, Options);
        return result.IsValid
            ? null
            : string.Join("; ", (result.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));
    }

    /// <summary>Whether one event is valid, as the only event of a batch.</summary>
    public static string? EventProblems(JsonElement @event) =>
        Problems(JsonSerializer.SerializeToElement(new { events = new[] { @event } }));
}
