using System.Runtime.InteropServices;

namespace XRay.Grains.Storage;

/// <summary>
/// Makes a directory's entries durable (a created log segment, a renamed offsets file, blob or key file). On Linux a
/// new file's name survives a power loss only once its directory is fsync'd; .NET cannot open a directory, so P/Invoke.
/// Shared by every writer under the data directory, so there is one implementation to get right.
/// </summary>
public static class DirectorySync
{
    private const int ReadOnly = 0;

    /// <summary>Held while a directory is looked for, and while one is created and made durable.</summary>
    private static readonly Lock Gate = new();

    /// <summary>
    /// Creates <paramref name="directory"/> and its missing parents, and makes each new entry durable: a fresh log's root,
    /// not only its partition directory, must survive a power loss, or the partitions under it vanish with it.
    /// </summary>
    /// <remarks>
    /// One process-wide gate covers the look and the creation: otherwise a caller that finds the directory just made by
    /// another (two uploads to a new trace) would write in it, flush it and answer before that other one has flushed its
    /// entry in the parent, and a power loss then would take the answered file with the directory. Under the gate, a
    /// directory that exists was made durable by whoever created it. Uncontended, the gate costs next to nothing; a
    /// creation holds it for the few fsyncs it makes.
    /// </remarks>
    public static void Create(string directory) => Create(directory, Flush);

    /// <summary><see cref="Create(string)"/> with the flush given (tests: to hold a creation in the middle).</summary>
    internal static void Create(string directory, Action<string> flush)
    {
        lock (Gate)
        {
            var missing = new Stack<string>();
            for (var path = Path.GetFullPath(directory); path is not null && !Directory.Exists(path); path = Path.GetDirectoryName(path))
            {
                missing.Push(path);
            }

            if (missing.Count == 0)
            {
                return;
            }

            PrivateDirectory.Create(directory);
            foreach (var created in missing) // outermost first: each one's entry is in its parent
            {
                flush(Path.GetDirectoryName(created)!);
            }
        }
    }

    /// <summary>Makes the entries of <paramref name="directory"/> (a file created, renamed or deleted in it) durable.</summary>
    public static void Flush(string directory)
    {
        // NTFS journals metadata and Windows cannot fsync a directory handle.
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = Open(directory, ReadOnly);
        if (fd < 0)
        {
            throw new IOException($"Cannot open directory '{directory}' to flush it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of directory '{directory}' failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Close(int fd);
}
