using Microsoft.Win32.SafeHandles;
using XRay.Grains.Storage;

namespace XRay.Grains.Ingest.Embedded;

/// <summary>
/// Holds the log directory for one <see cref="EmbeddedIngestLog"/> at a time, as Kafka's <c>.lock</c> does. Two logs on
/// one directory (a second server on the same data directory, or one started while the last still shuts down) each
/// append at the end they recovered, writing over the records the other acknowledged, and each cuts the other's batch
/// in progress as a torn tail. The lock is an exclusive <c>flock</c> (what <see cref="FileShare.None"/> takes on
/// Unix; a sharing lock on Windows) on <c>{Directory}/.lock</c>; the system drops it when its holder dies, even by SIGKILL.
/// </summary>
internal sealed class LogDirectoryLock : IDisposable
{
    private const string FileName = ".lock";

    // What the open throws when the lock is held: EWOULDBLOCK from flock (its number differs: 11 on Linux, 35 on macOS
    // and the BSDs), ERROR_SHARING_VIOLATION on Windows.
    private static readonly int LockHeldErrno = OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD() ? 35 : 11;
    private const int SharingViolation = unchecked((int)0x80070020);

    private readonly SafeFileHandle _handle;

    private LogDirectoryLock(SafeFileHandle handle) => _handle = handle;

    /// <summary>Takes the lock of <paramref name="directory"/> (created if missing); throws when another log holds it.</summary>
    public static LogDirectoryLock Acquire(string directory)
    {
        DirectorySync.Create(directory);
        var path = Path.Combine(directory, FileName);
        try
        {
            return new LogDirectoryLock(File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException ex) when (ex.HResult == LockHeldErrno || ex.HResult == SharingViolation)
        {
            throw new InvalidOperationException(
                $"The ingest log in '{directory}' is open in another process (or another log in this one): two servers cannot share " +
                $"a data directory, each would write over the records the other acknowledged. Stop the other server, or give this " +
                $"one its own Storage:DataDirectory (or Ingest:Log:Directory).", ex);
        }
    }

    public void Dispose() => _handle.Dispose();
}
