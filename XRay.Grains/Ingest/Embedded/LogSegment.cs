using System.Globalization;

namespace XRay.Grains.Ingest.Embedded;

/// <summary>One segment file of a partition, named after the offset of its first record.</summary>
internal sealed record LogSegment(long BaseOffset, string Path)
{
    private const string Extension = ".log";

    /// <summary>The segment starting at <paramref name="baseOffset"/> in <paramref name="directory"/>.</summary>
    public static LogSegment At(string directory, long baseOffset)
        => new(baseOffset, System.IO.Path.Combine(directory, baseOffset.ToString("D20", CultureInfo.InvariantCulture) + Extension));

    /// <summary>The segments found in <paramref name="directory"/>, oldest first.</summary>
    public static List<LogSegment> List(string directory)
    {
        var segments = new List<LogSegment>();
        foreach (var path in System.IO.Directory.EnumerateFiles(directory, "*" + Extension))
        {
            var name = System.IO.Path.GetFileNameWithoutExtension(path);
            if (name.Length == 20 && long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var baseOffset))
            {
                segments.Add(new LogSegment(baseOffset, path));
            }
        }

        segments.Sort((a, b) => a.BaseOffset.CompareTo(b.BaseOffset));
        return segments;
    }
}

/// <summary>
/// How far a partition is durable: records below <see cref="EndOffset"/> are fsync'd; the last of them
/// ends at <see cref="Position"/> in the segment starting at <see cref="SegmentBase"/>.
/// Published as one immutable object so readers see a consistent triple.
/// </summary>
internal sealed record DurableEnd(long EndOffset, long SegmentBase, long Position);
