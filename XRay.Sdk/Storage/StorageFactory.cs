using Microsoft.Extensions.Logging;
using XRay.Sdk.Diagnostics;

namespace XRay.Sdk.Storage;

/// <summary>
/// Opens the disk spool, or falls back to memory when the disk cannot be written; a disk spool keeps in memory what the
/// disk refuses later on (<see cref="FallbackStorage"/>).
/// </summary>
internal static class StorageFactory
{
    public static IStorageAdapter Open(XRayOptions options, Action<string> evicted, ILogger logger)
    {
        var directory = options.ResolveTempDir();
        try
        {
            return new FallbackStorage(new DiskStorage(directory, options.MaxDiskSize, evicted), new MemoryStorage(options.MaxMemorySize, evicted), logger);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            Log.DiskUnwritable(logger, directory, e);
            return new MemoryStorage(options.MaxMemorySize, evicted);
        }
    }
}
