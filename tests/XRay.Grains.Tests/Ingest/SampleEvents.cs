using System.Text.Json;
using XRay.Grains.Ingest;

namespace XRay.Grains.Tests.Ingest;

/// <summary>The project and trace of the ingest unit tests' events, and the gateway's check run on one event's JSON.</summary>
internal static class SampleEvents
{
    public const string Project = "6751a0f0c2b1e3d4f5a6b7c8";
    public const string TraceId = Project + "-0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

    /// <summary>The event as the gateway accepts it (for <see cref="Project"/>'s key); fails the test if refused.</summary>
    public static IngestEvent Accept(string json)
    {
        using var document = JsonDocument.Parse(json);
        Assert.True(IngestEventParser.TryAccept(document.RootElement, Project, 64 * 1024, out var accepted, out var error), error);
        return accepted!;
    }

    /// <summary>The reason the gateway refuses the event; fails the test if accepted.</summary>
    public static string Refuse(string json)
    {
        using var document = JsonDocument.Parse(json);
        Assert.False(IngestEventParser.TryAccept(document.RootElement, Project, 64 * 1024, out var accepted, out var error));
        Assert.Null(accepted);
        return error;
    }
}
