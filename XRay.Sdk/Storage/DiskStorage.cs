namespace XRay.Sdk.Storage;

/// <summary>
/// The spool on disk: one file per entry in the temp directory, written to <c>.tmp</c> and renamed so a
/// crash never leaves half an entry. On start-up it scans the directory, so what an earlier process
/// left behind is sent by this one. File names start with the owner (the project id), so tracers of different projects
/// can share a directory: each takes only its own entries, which only its own key can send.
/// </summary>
internal sealed class DiskStorage : SpoolStorage
{
    private const string Extension = ".xr";
    private const string TempExtension = ".tmp";
    private readonly string _directory;
    private readonly string _prefix;

    /// <summary>Opens the directory; throws when it cannot be created or written.</summary>
    /// <param name="directory">Where the files are.</param>
    /// <param name="limit">Bytes the entries may take.</param>
    /// <param name="evicted">Told of each entry evicted to make room.</param>
    /// <param name="owner">
    /// Whose entries these are: file names are <c>{owner}.{key}.xr</c>. <see langword="null"/>: <c>{key}.xr</c>, and
    /// every entry in the directory is this storage's.
    /// </param>
    public DiskStorage(string directory, long limit, Action<string>? evicted = null, string? owner = null)
        : base(limit, evicted)
    {
        _directory = Path.GetFullPath(directory);
        _prefix = owner is null ? "" : owner + ".";
        CreateDirectory(_directory);
        var probe = Path.Combine(_directory, $"{_prefix}probe-{Guid.NewGuid():N}{TempExtension}");
        WriteFile(probe, [1]);
        File.Delete(probe);
        Scan();
    }

    public override bool IsDurable => true;

    public override string Location => _directory;

    protected override void WriteCore(string key, ReadOnlySpan<byte> data)
    {
        var temp = Path.Combine(_directory, _prefix + key + TempExtension);
        try
        {
            try
            {
                WriteFile(temp, data);
            }
            catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException)
            {
                // The directory was removed under a running tracer (a temp cleaner): make it again rather than drop every
                // entry from now on. What it held is gone; those entries are counted as dropped, not left to read as nothing,
                // but what other writers put in the new one meanwhile is kept. (.NET names the error by looking for the
                // directory again: made again by another writer meanwhile, it is a missing file.)
                CreateDirectory(_directory);
                ForgetLost(key => !File.Exists(PathOf(key)));
                WriteFile(temp, data);
            }

            File.Move(temp, PathOf(key), overwrite: true);
        }
        catch
        {
            TryDelete(temp); // a full disk leaves part of the entry: it would hold space until the next start
            throw;
        }
    }

    protected override byte[]? ReadCore(string key)
    {
        try
        {
            return File.ReadAllBytes(PathOf(key));
        }
        catch (FileNotFoundException)
        {
            return null; // another process sharing the directory sent it already
        }
        catch (UnauthorizedAccessException)
        {
            return null; // another user's (its files are its own, WriteFile): that user's tracer sends it
        }
    }

    // best effort: an entry that cannot be deleted now is sent again later, and ids make that harmless
    protected override void DeleteCore(string key) => TryDelete(PathOf(key));

    /// <summary>Deletes a file if it can; what is left is deleted by the start-up scan, or sent again.</summary>
    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// Creates the directory and its missing parents readable by this user only: the entries are the pipeline's inputs and
    /// outputs, and the default directory is under the system temp directory, which every user of the host can list (the
    /// server's <c>PrivateDirectory</c> does the same for its data). A directory that exists keeps its permissions (a
    /// shared one chosen on purpose stays shared); the files are private whatever the directory (<see cref="WriteFile"/>).
    /// </summary>
    private static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path); // under the user's own profile by default
            return;
        }

        // Each missing level by itself: Directory.CreateDirectory gives the mode to the last one only.
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } parent && !Directory.Exists(parent))
        {
            CreateDirectory(parent);
        }

        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>
    /// Writes a new file readable by this user only (<c>0600</c> on Unix): the entry is the pipeline's inputs and outputs, and
    /// a directory that already existed keeps its permissions (<see cref="CreateDirectory"/>), so the file must not rely on
    /// them. Unbuffered: one write, no stream buffer to allocate.
    /// </summary>
    private static void WriteFile(string path, ReadOnlySpan<byte> data)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0 };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var file = new FileStream(path, options);
        file.Write(data);
    }

    private string PathOf(string key) => Path.Combine(_directory, _prefix + key + Extension);

    /// <summary>
    /// The key of a file this storage owns: one named with its prefix, or one an SDK from before owners left (a name
    /// without one: whose it is cannot be told, so the first tracer to start on the directory takes it, as before).
    /// <see langword="null"/> for another owner's: its own tracer sends it, with its own key.
    /// </summary>
    private string? KeyOf(string file)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        if (name.StartsWith(_prefix, StringComparison.Ordinal))
        {
            return name[_prefix.Length..];
        }

        return name.Contains('.', StringComparison.Ordinal) ? null : name; // keys hold no dot; owned names do
    }

    private void Scan()
    {
        foreach (var stale in Directory.EnumerateFiles(_directory, "*" + TempExtension))
        {
            if (KeyOf(stale) is not null)
            {
                File.Delete(stale); // a write cut short by a crash (another owner's may be a write under way)
            }
        }

        var files = new DirectoryInfo(_directory).EnumerateFiles("*" + Extension)
            .Select(file => (File: file, Key: KeyOf(file.Name)))
            .Where(entry => entry.Key is not null)
            .OrderBy(entry => entry.File.LastWriteTimeUtc)
            .ThenBy(entry => entry.File.Name, StringComparer.Ordinal);
        foreach (var (file, key) in files)
        {
            if (TryTake(file, key!))
            {
                Recover(key!, file.Length);
            }
        }
    }

    /// <summary>Gives an entry left without an owner this storage's name, so it is read and deleted as its own are.</summary>
    private bool TryTake(FileInfo file, string key)
    {
        var path = PathOf(key);
        if (string.Equals(file.FullName, path, StringComparison.Ordinal))
        {
            return true;
        }

        try
        {
            File.Move(file.FullName, path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // another process took it first, or it is not this user's to take
        }
    }
}
