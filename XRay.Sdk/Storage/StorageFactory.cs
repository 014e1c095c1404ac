using Microsoft.Extensions.Logging;
using XRay.Sdk.Diagnostics;

namespace XRay.Sdk.Storage;

/// <summary>
/// Opens the disk spool, or falls back to memory when the disk cannot be written; a disk spool keeps in memory what the
/// disk refuses later on (<see cref="FallbackStorage"/>). Runs on the thread pool (<see cref="OpeningStorage"/>).
/// </summary>
internal static class StorageFactory
{
    public static IStorageAdapter Open(XRayOptions options, Action<string> evicted, ILogger logger)
    {
        var directory = options.ResolveTempDir();
        try
        {
            var disk = new DiskStorage(directory, options.MaxDiskSize, evicted, owner: options.ProjectId);
            return new FallbackStorage(disk, new MemoryStorage(options.MaxMemorySize, evicted), logger);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // any failure, not only I/O: on the thread pool nothing would see it, and the tracer would have no spool at all
            Log.DiskUnwritable(logger, directory, e);
            return new MemoryStorage(options.MaxMemorySize, evicted);
        }
    }
}
