namespace XRay.LoadTest;

/// <summary>
/// Bytes a process caused to be written to storage (<c>write_bytes</c> in <c>/proc/PID/io</c>): the ingest log's and
/// the store's writes together, i.e. the store's write amplification and what the gateway costs a disk it shares.
/// </summary>
internal static class DiskWrites
{
    /// <summary>The process's bytes written so far; null off Linux or when it cannot be read.</summary>
    public static long? OfProcess(int? processId)
    {
        if (processId is null)
        {
            return null;
        }

        try
        {
            foreach (var line in File.ReadLines($"/proc/{processId}/io"))
            {
                if (line.StartsWith("write_bytes:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan("write_bytes:".Length), System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }
}
