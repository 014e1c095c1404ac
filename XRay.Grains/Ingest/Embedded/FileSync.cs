using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace XRay.Grains.Ingest.Embedded;

/// <summary>
/// <c>fdatasync</c>: makes a file's data durable, and of its metadata only what is needed to read that data back
/// (its size and block map), not its timestamps, which <c>fsync</c> would also write. .NET's
/// <see cref="RandomAccess.FlushToDisk"/> is <c>fsync</c>, so Linux goes through P/Invoke; elsewhere it is used as is.
/// </summary>
internal static class FileSync
{
    private const int Eintr = 4;

    public static void Data(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
        {
            RandomAccess.FlushToDisk(handle);
            return;
        }

        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            int errno;
            do
            {
                errno = Fdatasync(fd) == 0 ? 0 : Marshal.GetLastPInvokeError();
            }
            while (errno == Eintr); // interrupted by a signal before it synced anything: ask again, as .NET's fsync does

            if (errno != 0)
            {
                throw new IOException($"fdatasync failed (errno {errno}).");
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fdatasync(int fd);
}
