using System.Text.Json;

namespace XRay.Gateway.Query;

/// <summary>Body of <c>POST /api/v1/projects/{projectId}/query</c>: ANDed filters, page size and cursor.</summary>
public sealed record StepQueryRequest(IReadOnlyList<StepFilterRequest?>? Filters, int? Limit, string? Cursor);

/// <summary>
/// One filter as sent: <c>field</c> is a step field (<c>name</c>, <c>kind</c>, <c>status</c>, <c>stepNumber</c>,
/// <c>startedAt</c>, <c>durationMs</c>, <c>traceId</c>) or a path such as <c>output.kept</c>; <c>op</c> one of
/// <c>eq ne gt gte lt lte contains exists</c>; <c>value</c> a string, number or boolean.
/// </summary>
public sealed record StepFilterRequest(string? Field, string? Op, JsonElement? Value);

/// <summary>OpenAPI shape of a page of steps (the body is written directly from stored JSON).</summary>
public sealed record StepPage(IReadOnlyList<object> Items, string? NextCursor);
