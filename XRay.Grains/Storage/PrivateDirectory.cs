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
    public static DirectoryInfo Create(string path) =>
        OperatingSystem.IsWindows() ? Directory.CreateDirectory(path) : Directory.CreateDirectory(path, OwnerOnly);
}
