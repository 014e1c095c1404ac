using Microsoft.Extensions.Logging;
using XRay.Sdk.Diagnostics;

namespace XRay.Sdk.Storage;

/// <summary>Opens the disk spool, or falls back to memory when the disk cannot be written.</summary>
internal static class StorageFactory
{
    public static SpoolStorage Open(XRayOptions options, Action<string> evicted, ILogger logger)
    {
        var directory = options.ResolveTempDir();
        try
        {
            return new DiskStorage(directory, options.MaxDiskSize, evicted);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            Log.DiskUnwritable(logger, directory, e);
            return new MemoryStorage(options.MaxMemorySize, evicted);
        }
    }
}
