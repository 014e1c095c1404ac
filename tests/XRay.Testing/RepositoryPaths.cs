namespace XRay.Testing;

/// <summary>Locates the repository and the build outputs the harness starts.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration the tests were built with (Debug or Release).</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>Path of a project's main assembly, e.g. <c>XRay.Gateway</c>.</summary>
    public static string Assembly(string project) =>
        Path.Combine(Root, project, "bin", Configuration, "net10.0", project + ".dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "XRay.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("XRay.sln not found above " + AppContext.BaseDirectory);
    }
}
