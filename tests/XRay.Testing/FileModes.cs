namespace XRay.Testing;

/// <summary>Unix permission bits the tests check for.</summary>
public static class FileModes
{
    /// <summary>Every permission of the group and of other users: a file or directory that is its owner's alone has none.</summary>
    public const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
}
