using System.Collections.Concurrent;
using XRay.Grains.Storage;

namespace XRay.Grains.Tests.Storage;

/// <summary>
/// A directory made for a file (a blob's trace directory, a log's partition) must be durable before the file in it is
/// answered for: its creator flushes each new entry into its parent, and no one else uses the directory before that.
/// </summary>
public sealed class DirectorySyncTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"xray-dirsync-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void Each_new_level_is_flushed_into_its_parent_outermost_first_and_an_existing_one_not_again()
    {
        var project = Path.Combine(_root, "project");
        var trace = Path.Combine(project, "trace");
        var flushed = new List<string>();

        DirectorySync.Create(trace, flushed.Add);
        Assert.True(Directory.Exists(trace));
        Assert.Equal([Path.GetDirectoryName(_root)!, _root, project], flushed);

        flushed.Clear();
        DirectorySync.Create(trace, flushed.Add);
        DirectorySync.Create(Path.Combine(project, "other"), flushed.Add);
        Assert.Equal([project], flushed);
    }

    [Fact]
    public async Task A_caller_that_finds_a_directory_still_being_made_durable_waits_for_it()
    {
        var trace = Path.Combine(_root, "project", "trace");
        using var holdFlush = new ManualResetEventSlim();
        using var flushing = new ManualResetEventSlim();
        var flushed = new ConcurrentQueue<string>();

        // The first upload to a new trace: its directory exists as soon as it is made, before its entry is durable.
        var first = Task.Run(() => DirectorySync.Create(trace, parent =>
        {
            flushing.Set();
            holdFlush.Wait();
            flushed.Enqueue(parent);
        }));
        Assert.True(flushing.Wait(TimeSpan.FromSeconds(30)), "the first creation did not reach its flush");
        Assert.True(Directory.Exists(trace));

        // A second upload to the same trace finds the directory: it must not go on to write and answer before that flush.
        using var secondStarted = new ManualResetEventSlim();
        var second = Task.Run(() =>
        {
            secondStarted.Set();
            DirectorySync.Create(trace, flushed.Enqueue);
        });
        Assert.True(secondStarted.Wait(TimeSpan.FromSeconds(30)));
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.False(second.IsCompleted, "the second caller went on while the directory's entry was not yet durable");

        holdFlush.Set();
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(3, flushed.Count); // the first caller's three levels; the second found them made and flushed none
    }
}
