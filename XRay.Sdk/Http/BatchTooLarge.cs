using System.Net;
using System.Text.Json;

namespace XRay.Sdk.Http;

/// <summary>
/// An ingest refusal that says the batch was too large rather than wrong: a <c>413</c>, or a <c>400</c> typed as too
/// many events (docs/events.md). Sending the events in smaller batches would be accepted, so the batch is split, not
/// dropped. The limits are what the problem document advertised, when it did.
/// </summary>
/// <param name="MaxEvents">The gateway's <c>maxEventsPerBatch</c>, when the refusal carried it.</param>
/// <param name="MaxBodyBytes">The gateway's <c>maxBodyBytes</c>, when the refusal carried it.</param>
internal sealed record BatchTooLarge(int? MaxEvents, long? MaxBodyBytes)
{
    /// <summary>The problem type of a batch with too many events (the gateway's <c>ProblemTypes.TooManyEvents</c>).</summary>
    public const string TooManyEventsType = "https://xray.local/problems/too-many-events";

    /// <summary>What an ingest answer of <paramref name="status"/> with <paramref name="body"/> says about the batch's size, or null when it is refused for another reason.</summary>
    public static BatchTooLarge? Read(int status, string? body)
    {
        if (status is not ((int)HttpStatusCode.BadRequest or (int)HttpStatusCode.RequestEntityTooLarge))
        {
            return null;
        }

        var (type, maxEvents, maxBodyBytes) = ReadProblem(body);
        if (status == (int)HttpStatusCode.RequestEntityTooLarge)
        {
            return new BatchTooLarge(null, maxBodyBytes); // a proxy's 413 may be HTML: too large all the same
        }

        return type == TooManyEventsType || maxEvents is not null ? new BatchTooLarge(maxEvents, null) : null;
    }

    private static (string? Type, int? MaxEvents, long? MaxBodyBytes) ReadProblem(string? body)
    {
        if (body is null || !body.AsSpan().TrimStart().StartsWith("{", StringComparison.Ordinal))
        {
            return default;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            string? type = null;
            int? maxEvents = null;
            long? maxBodyBytes = null;
            foreach (var member in root.EnumerateObject())
            {
                switch (member.Name)
                {
                    case "type" when member.Value.ValueKind == JsonValueKind.String:
                        type = member.Value.GetString();
                        break;
                    case "maxEventsPerBatch" when member.Value.ValueKind == JsonValueKind.Number && member.Value.TryGetInt32(out var events) && events > 0:
                        maxEvents = events;
                        break;
                    case "maxBodyBytes" when member.Value.ValueKind == JsonValueKind.Number && member.Value.TryGetInt64(out var bytes) && bytes > 0:
                        maxBodyBytes = bytes;
                        break;
                }
            }

            return (type, maxEvents, maxBodyBytes);
        }
        catch (JsonException)
        {
            return default; // not a problem document: the status alone decides
        }
    }
}
