using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using XRay.Sdk.Storage;

namespace XRay.Sdk.Tests.Unit;

/// <summary>What every spool must do alike; each storage's test class inherits these.</summary>
public abstract class StorageContractTests
{
    protected List<string> Evicted { get; } = [];

    private protected abstract SpoolStorage Create(long limit);

    [Fact]
    public void Written_entries_are_read_back_and_listed_oldest_first()
    {
        var storage = Create(1000);
        Assert.True(storage.TryWrite("e_1", [1, 2, 3]));
        Assert.True(storage.TryWrite("b_2", [4]));
        Assert.True(storage.TryWrite("e_3", [5, 6]));

        Assert.Equal([1, 2, 3], storage.Read("e_1"));
        Assert.Equal(["e_1", "e_3"], storage.List("e_"));
        Assert.Equal(["e_1", "b_2", "e_3"], storage.List(""));
        Assert.Equal(6, storage.Size);
    }

    [Fact]
    public void Deleting_frees_its_bytes_and_a_second_delete_reports_it_gone()
    {
        var storage = Create(1000);
        storage.TryWrite("e_1", new byte[10]);
        Assert.True(storage.Delete("e_1"));
        Assert.False(storage.Delete("e_1"));
        Assert.Null(storage.Read("e_1"));
        Assert.Equal(0, storage.Size);
    }

    [Fact]
    public void At_the_limit_the_oldest_entries_are_evicted_first_and_reported()
    {
        var storage = Create(100);
        for (var i = 0; i < 5; i++)
        {
            Assert.True(storage.TryWrite($"e_{i}", new byte[30]));
        }

        Assert.Equal(["e_0", "e_1"], Evicted);
        Assert.Equal(["e_2", "e_3", "e_4"], storage.List("e_"));
        Assert.Equal(90, storage.Size);
        Assert.Null(storage.Read("e_0"));
    }

    [Fact]
    public void An_entry_larger_than_the_whole_limit_is_refused_without_evicting()
    {
        var storage = Create(100);
        storage.TryWrite("e_0", new byte[50]);
        Assert.False(storage.TryWrite("e_1", new byte[101]));
        Assert.Empty(Evicted);
        Assert.Equal(["e_0"], storage.List(""));
    }
}

public sealed class MemoryStorageTests : StorageContractTests
{
    private protected override SpoolStorage Create(long limit) => new MemoryStorage(limit, Evicted.Add);
}

public sealed class DiskStorageTests : StorageContractTests
{
    private readonly string _directory = Fakes.TestTracers.NewTempDir();

    private protected override SpoolStorage Create(long limit) => new DiskStorage(_directory, limit, Evicted.Add);

    [Fact]
    public void A_new_instance_finds_what_an_earlier_one_left_oldest_first_and_drops_half_written_files()
    {
        var first = new DiskStorage(_directory, 1000);
        first.TryWrite("e_a", [1]);
        first.TryWrite("e_b", [2, 2]);
        File.SetLastWriteTimeUtc(Path.Combine(_directory, "e_a.xr"), DateTime.UtcNow.AddMinutes(-2));
        File.SetLastWriteTimeUtc(Path.Combine(_directory, "e_b.xr"), DateTime.UtcNow.AddMinutes(-1));
        File.WriteAllBytes(Path.Combine(_directory, "e_c.tmp"), [9, 9, 9]);

        var second = new DiskStorage(_directory, 1000);

        Assert.Equal(["e_a", "e_b"], second.List(""));
        Assert.Equal(3, second.Size);
        Assert.Equal([2, 2], second.Read("e_b"));
        Assert.False(File.Exists(Path.Combine(_directory, "e_c.tmp")));
    }

    [Fact]
    public void A_scan_over_a_smaller_limit_evicts_the_oldest()
    {
        var first = new DiskStorage(_directory, 1000);
        first.TryWrite("e_a", new byte[60]);
        File.SetLastWriteTimeUtc(Path.Combine(_directory, "e_a.xr"), DateTime.UtcNow.AddMinutes(-1));
        first.TryWrite("e_b", new byte[60]);

        var second = new DiskStorage(_directory, 100, Evicted.Add);

        Assert.Equal(["e_a"], Evicted);
        Assert.Equal(["e_b"], second.List(""));
        Assert.False(File.Exists(Path.Combine(_directory, "e_a.xr")));
    }

    [Fact]
    public void An_owner_takes_its_own_entries_and_those_left_without_an_owner_but_not_another_owners()
    {
        Assert.True(new DiskStorage(_directory, 1000, owner: "a").TryWrite("e_mine", [1]));
        Assert.True(new DiskStorage(_directory, 1000, owner: "b").TryWrite("e_theirs", [2]));
        File.WriteAllBytes(Path.Combine(_directory, "e_old.xr"), [3]); // left by an SDK from before owners
        File.WriteAllBytes(Path.Combine(_directory, "b.e_cut.tmp"), [4]); // the other owner's write, under way

        var mine = new DiskStorage(_directory, 1000, owner: "a");

        Assert.Equal(["e_mine", "e_old"], mine.List("").Order());
        Assert.Equal([3], mine.Read("e_old"));
        Assert.True(File.Exists(Path.Combine(_directory, "a.e_old.xr"))); // taken: named as its own now
        Assert.True(File.Exists(Path.Combine(_directory, "b.e_cut.tmp")));
        Assert.Equal(["e_theirs"], new DiskStorage(_directory, 1000, owner: "b").List(""));
        Assert.Equal(["a.e_mine.xr", "a.e_old.xr", "b.e_theirs.xr"], Directory.GetFiles(_directory, "*.xr").Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task Writers_that_find_the_directory_removed_at_once_each_write_and_keep_what_the_others_wrote()
    {
        // A temp cleaner removed the directory (empty: nothing in it is lost), and writers find it missing at once. One
        // that found it missing a moment after another made it again forgot what that one had written into the new
        // directory already (entries on disk, counted as dropped, never sent: FaultTests lost a blob so now and then),
        // or failed its write (.NET names the error by looking again, and the directory was there: a missing file).
        var keys = Enumerable.Range(0, 4).Select(w => Enumerable.Range(0, 5).Select(n => $"e_{w}_{n}").ToList()).ToList();
        var written = keys.SelectMany(k => k).Order().ToList();
        for (var round = 0; round < 200; round++)
        {
            var directory = Path.Combine(_directory, $"round-{round}");
            var lost = new ConcurrentQueue<string>();
            var storage = new DiskStorage(directory, 1_000_000, lost.Enqueue);
            Directory.Delete(directory);
            using var start = new Barrier(keys.Count);
            await Task.WhenAll(keys.Select(mine => Task.Factory.StartNew(() =>
            {
                start.SignalAndWait(TestContext.Current.CancellationToken);
                Assert.All(mine, key => Assert.True(storage.TryWrite(key, [1])));
            }, TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)));

            Assert.Empty(lost);
            Assert.Equal(written, storage.List("").Order());
            Assert.Equal(written, Directory.GetFiles(directory, "*.xr").Select(Path.GetFileNameWithoutExtension).Order());
        }
    }

    [Fact]
    public void A_directory_that_cannot_be_created_falls_back_to_memory()
    {
        var file = Path.Combine(_directory, "a-regular-file");
        File.WriteAllText(file, "not a directory");
        var options = new XRayOptions { ApiKey = "k", ProjectId = "p", TempDir = Path.Combine(file, "spool"), MaxMemorySize = 1234 };

        var storage = StorageFactory.Open(options, _ => { }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        Assert.False(storage.IsDurable);
        Assert.Equal(1234, Assert.IsType<MemoryStorage>(storage).Limit);
    }
}

public sealed class FallbackStorageTests
{
    private readonly string _directory = Fakes.TestTracers.NewTempDir();
    private readonly List<string> _evicted = [];

    [Fact]
    public void What_the_disk_refuses_mid_run_is_kept_in_memory_within_its_limit_and_the_disk_is_used_again_once_it_recovers()
    {
        var storage = new FallbackStorage(new DiskStorage(_directory, 1000, _evicted.Add), new MemoryStorage(100, _evicted.Add), NullLogger.Instance);
        Assert.True(storage.TryWrite("e_1", [1]));

        Directory.Delete(_directory, recursive: true);
        File.WriteAllText(_directory, "not a directory"); // every disk write now fails
        Assert.True(storage.TryWrite("e_2", new byte[60]));
        Assert.True(storage.TryWrite("e_3", new byte[60])); // over the memory limit: its oldest is evicted, as in a memory spool

        Assert.Equal(["e_2"], _evicted);
        Assert.Equal([60], [storage.Read("e_3")!.Length]);
        Assert.True(storage.IsInMemory("e_3"));
        Assert.False(storage.IsInMemory("e_1"));

        File.Delete(_directory);
        Directory.CreateDirectory(_directory);
        Assert.True(storage.TryWrite("e_4", [4]));

        Assert.False(storage.IsInMemory("e_4"));
        Assert.Equal(["e_1", "e_3", "e_4"], storage.List("e_"));
        Assert.Equal(62, storage.Size);
        Assert.Equal(3, storage.Count);
        Assert.True(storage.Delete("e_3"));
        Assert.False(storage.Delete("e_3"));
        Assert.Equal(["e_1", "e_4"], storage.List(""));
    }
}

/// <summary>A storage whose deletes fail (a directory turned read-only): eviction still keeps its books straight.</summary>
public sealed class FailingDeleteStorageTests
{
    private readonly List<string> _evicted = [];

    [Fact]
    public void A_victim_whose_file_cannot_be_deleted_is_still_counted_and_the_size_stays_true()
    {
        var storage = new FailingDeletes(10, _evicted.Add);
        Assert.True(storage.TryWrite("e_1", new byte[5]));
        Assert.True(storage.TryWrite("e_2", new byte[5]));
        storage.DeletesFail = true;

        Assert.True(storage.TryWrite("e_3", new byte[5]));

        Assert.Equal(["e_1"], _evicted);
        Assert.Equal(10, storage.Size);
        Assert.Equal(["e_2", "e_3"], storage.List("e_"));
    }

    private sealed class FailingDeletes(long limit, Action<string> evicted) : SpoolStorage(limit, evicted)
    {
        public bool DeletesFail { get; set; }

        public override bool IsDurable => true;

        public override string Location => "test";

        protected override void WriteCore(string key, ReadOnlySpan<byte> data)
        {
        }

        protected override byte[]? ReadCore(string key) => [];

        protected override void DeleteCore(string key)
        {
            if (DeletesFail)
            {
                throw new UnauthorizedAccessException("read-only");
            }
        }
    }
}
