namespace XRay.Grains.Storage;

/// <summary>
/// Creates the directories the server keeps its data in (the store with its password hashes, the ingest log, blobs)
/// readable by the server's own user only, as the token signing key is. One that already exists keeps the permissions
/// its operator gave it.
/// </summary>
public static class PrivateDirectory
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates <paramref name="path"/> and any missing parents owner-only (Windows: inherited ACLs).</summary>
    public static DirectoryInfo Create(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return Directory.CreateDirectory(path);
        }

        // Each missing level by itself: Directory.CreateDirectory gives the mode to the last one only, so a blob store's
        // root and project directories, made on the way to a trace's, were left readable by every user.
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } parent && !Directory.Exists(parent))
        {
            Create(parent);
        }

        return Directory.CreateDirectory(path, OwnerOnly);
    }
}
