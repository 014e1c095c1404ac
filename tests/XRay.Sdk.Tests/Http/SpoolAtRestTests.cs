using System.Runtime.Versioning;
using XRay.Sdk.Tests.Fakes;
using XRay.Testing;

namespace XRay.Sdk.Tests.Http;

/// <summary>
/// What the spool leaves on disk is the pipeline's inputs and outputs, and its default directory is under the system
/// temp directory, which every user of the host can list: a directory the tracer creates is its user's alone, as the
/// server's data directory is.
/// </summary>
public sealed class SpoolAtRestTests : GatewayBehindProxy
{
    [Fact]
    public async Task The_spool_directories_a_tracer_creates_are_its_users_alone()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix permissions");
            return;
        }

        // As the default {temp}/xray-sdk/{ProjectId}: both levels made by the tracer.
        var parent = TestTracers.NewTempDir();
        var tempDir = Path.Combine(parent, "xray-sdk", FakeGateway.ProjectId);
        var options = TestTracers.Options(Proxy.BaseAddress, tempDir);
        options.ShutdownTimeout = TimeSpan.FromSeconds(1);
        await Proxy.RefuseAsync(); // the gateway is down: what is recorded waits in the spool
        try
        {
            await using (var tracer = new XRayTracer(options))
            {
                tracer.CreateTrace("checkout").Step("card", input: new { number = "4111 1111 1111 1111" });
                Assert.False(await tracer.FlushAsync(TimeSpan.FromSeconds(1)));
                // Waited for, not expected when the flush gives up: on a loaded machine the spool may open, or the batch
                // reach it, after that second.
                await Wait.UntilAsync(() => Directory.Exists(tempDir) && Directory.EnumerateFiles(tempDir, "*.xr").Any(), "the batch spooled on disk");
                Assert.Equal(default, File.GetUnixFileMode(tempDir) & FileModes.GroupOrOthers);
                Assert.Equal(default, File.GetUnixFileMode(Path.GetDirectoryName(tempDir)!) & FileModes.GroupOrOthers);
                AssertEntriesArePrivate(tempDir);

                // Removed under the running tracer (a temp cleaner): made again the same way.
                Directory.Delete(Path.GetDirectoryName(tempDir)!, recursive: true);
                tracer.CreateTrace("checkout").Step("card", input: new { number = "5500 0000 0000 0004" });
                Assert.False(await tracer.FlushAsync(TimeSpan.FromSeconds(1)));
                await Wait.UntilAsync(() => Directory.Exists(tempDir) && Directory.EnumerateFiles(tempDir, "*.xr").Any(), "the batch spooled on disk again");
                Assert.Equal(default, File.GetUnixFileMode(tempDir) & FileModes.GroupOrOthers);
            }
        }
        finally
        {
            Directory.Delete(parent, recursive: true);
        }
    }

    [Fact]
    public async Task In_a_directory_others_can_read_the_spooled_files_are_still_its_users_alone()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix permissions");
            return;
        }

        // A directory that existed, open to everyone (a shared TempDir chosen on purpose, or one another user made first):
        // it keeps its mode, and what is spooled in it is not readable by the others.
        var tempDir = TestTracers.NewTempDir();
        const UnixFileMode Shared = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | FileModes.GroupOrOthers;
        File.SetUnixFileMode(tempDir, Shared);
        var options = TestTracers.Options(Proxy.BaseAddress, tempDir);
        options.ShutdownTimeout = TimeSpan.FromSeconds(1);
        await Proxy.RefuseAsync();
        try
        {
            await using (var tracer = new XRayTracer(options))
            {
                tracer.CreateTrace("checkout").Step("card", input: new { number = "4111 1111 1111 1111" });
                Assert.False(await tracer.FlushAsync(TimeSpan.FromSeconds(1)));
                await Wait.UntilAsync(() => Directory.EnumerateFiles(tempDir, "*.xr").Any(), "the batch spooled on disk");
                AssertEntriesArePrivate(tempDir);
            }

            Assert.Equal(Shared, File.GetUnixFileMode(tempDir));
        }
        finally
        {
            Directory.Delete(tempDir, recursive: true);
        }
    }

    /// <summary>Every spooled entry in <paramref name="directory"/> is its user's alone.</summary>
    [UnsupportedOSPlatform("windows")]
    private static void AssertEntriesArePrivate(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory, "*.xr"))
        {
            Assert.Equal(default, File.GetUnixFileMode(file) & FileModes.GroupOrOthers);
        }
    }
}
