namespace XRay.Sdk.Storage;

/// <summary>
/// The spool on disk: one file per entry in the temp directory, written to <c>.tmp</c> and renamed so a
/// crash never leaves half an entry. On start-up it scans the directory, so what an earlier process
/// left behind is sent by this one.
/// </summary>
internal sealed class DiskStorage : SpoolStorage
{
    private const string Extension = ".xr";
    private const string TempExtension = ".tmp";
    private readonly string _directory;

    /// <summary>Opens the directory; throws when it cannot be created or written.</summary>
    public DiskStorage(string directory, long limit, Action<string>? evicted = null)
        : base(limit, evicted)
    {
        _directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(_directory);
        var probe = Path.Combine(_directory, $"probe-{Guid.NewGuid():N}{TempExtension}");
        File.WriteAllBytes(probe, [1]);
        File.Delete(probe);
        Scan();
    }

    public override bool IsDurable => true;

    public override string Location => _directory;

    protected override void WriteCore(string key, ReadOnlySpan<byte> data)
    {
        var temp = Path.Combine(_directory, key + TempExtension);
        try
        {
            try
            {
                File.WriteAllBytes(temp, data); // unbuffered: one write, no FileStream buffer to allocate
            }
            catch (DirectoryNotFoundException)
            {
                // The directory was removed under a running tracer (a temp cleaner): make it again rather than drop every
                // entry from now on. What it held is gone; those entries are counted as dropped, not left to read as nothing.
                Directory.CreateDirectory(_directory);
                ForgetAllButLeased();
                File.WriteAllBytes(temp, data);
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

    private string PathOf(string key) => Path.Combine(_directory, key + Extension);

    private void Scan()
    {
        foreach (var stale in Directory.EnumerateFiles(_directory, "*" + TempExtension))
        {
            File.Delete(stale); // a write cut short by a crash
        }

        var files = new DirectoryInfo(_directory).EnumerateFiles("*" + Extension)
            .OrderBy(f => f.LastWriteTimeUtc)
            .ThenBy(f => f.Name, StringComparer.Ordinal);
        foreach (var file in files)
        {
            Recover(Path.GetFileNameWithoutExtension(file.Name), file.Length);
        }
    }
}
