using System.Text;
using XRay.Grains.Storage;

namespace XRay.Grains.Tests.Storage;

/// <summary>Step rows in tests: documents written as text, and rows compared by the bytes of their documents.</summary>
internal static class StepRecords
{
    /// <summary>A document's UTF-8 bytes, as <see cref="StepRecord.Document"/> holds them.</summary>
    public static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Equal when every column is equal and the documents hold the same bytes (a record compares arrays by reference).</summary>
    public static IEqualityComparer<StepRecord> ByContent { get; } = new ContentComparer();

    private sealed class ContentComparer : IEqualityComparer<StepRecord>
    {
        public bool Equals(StepRecord? x, StepRecord? y) =>
            x is null || y is null
                ? x is null && y is null
                : x with { Document = [] } == y with { Document = [] } && x.Document.AsSpan().SequenceEqual(y.Document);

        public int GetHashCode(StepRecord obj) => HashCode.Combine(obj.StepId, obj.Document.Length);
    }
}
