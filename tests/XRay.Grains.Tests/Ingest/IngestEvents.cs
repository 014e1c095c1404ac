using XRay.Grains.Ingest;

namespace XRay.Grains.Tests.Ingest;

/// <summary>Events compared by content: a record compares its document, an array, by reference.</summary>
internal static class IngestEvents
{
    public static IEqualityComparer<IngestEvent> ByContent { get; } = new ContentComparer();

    private sealed class ContentComparer : IEqualityComparer<IngestEvent>
    {
        public bool Equals(IngestEvent? x, IngestEvent? y) =>
            x is null || y is null
                ? x is null && y is null
                : x with { Document = null } == y with { Document = null } && x.Document.AsSpan().SequenceEqual(y.Document);

        public int GetHashCode(IngestEvent obj) => HashCode.Combine(obj.EventId, obj.Document?.Length);
    }
}
