using XRay.Sdk.Storage;
using XRay.Sdk.Tests.Fakes;

namespace XRay.Sdk.Tests.Http;

/// <summary>
/// Real faults between the SDK and the gateway, through <see cref="FaultProxy"/>: refused connections,
/// 500s, 503s, 429s with Retry-After, hanging requests, a tracer that dies with a spool, a full disk.
/// </summary>
public sealed class FaultTests : GatewayBehindProxy
{
    private static List<Guid> Record(XRayTracer tracer, int traces = 3, int steps = 10)
    {
        var blobs = new List<Guid>();
        for (var t = 0; t < traces; t++)
        {
            var trace = tracer.CreateTrace($"run-{t}");
            for (var s = 0; s < steps; s++)
            {
                trace.Step($"step-{s}", input: new { s });
            }

            blobs.Add(trace.DataId(new { candidates = new[] { t, t + 1 } }));
            trace.Success();
        }

        return blobs;
    }

    private void AssertNothingLost(XRayTracer tracer, IEnumerable<Guid> blobs, int expectedEvents)
    {
        Assert.Equal(expectedEvents, Gateway.Events.Count);
        Assert.All(blobs, id => Assert.True(Gateway.Blobs.ContainsKey(id.ToString()), $"blob {id} missing"));
        Assert.Equal(0, tracer.Stats.EventsDropped);
        Assert.Equal(0, tracer.Stats.BlobsDropped);
    }

    [Fact]
    public async Task Gateway_down_for_a_while_then_back_loses_nothing()
    {
        await Proxy.RefuseAsync();
        await using var tracer = new XRayTracer(TestTracers.Options(Proxy.BaseAddress));
        var blobs = Record(tracer);

        await Wait.UntilAsync(() => tracer.Stats.Retries >= 3, "retries against a gateway that refuses connections");
        Assert.Equal(0, tracer.Stats.EventsSent);
        await Proxy.ListenAsync();

        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));
        AssertNothingLost(tracer, blobs, 3 * 12);
    }

    [Theory]
    [InlineData(Fault.ServerError)]
    [InlineData(Fault.Unavailable)]
    [InlineData(Fault.TooManyRequests)]
    [InlineData(Fault.Hang)]
    public async Task Transient_faults_are_retried_with_backoff_and_lose_nothing(Fault fault)
    {
        var options = TestTracers.Options(Proxy.BaseAddress);
        options.RequestTimeout = TimeSpan.FromMilliseconds(500); // so a hang times out quickly
        Proxy.RetryAfterSeconds = 1;
        Proxy.Inject(fault, count: 4);
        await using var tracer = new XRayTracer(options);
        var blobs = Record(tracer);

        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(4, Proxy.FaultedRequests);
        Assert.True(tracer.Stats.Retries >= 4, $"{tracer.Stats.Retries} retries");
        AssertNothingLost(tracer, blobs, 3 * 12);
    }

    [Fact]
    public async Task A_tracer_that_dies_with_a_spool_is_sent_by_the_next_one_on_the_same_temp_dir()
    {
        var tempDir = TestTracers.NewTempDir();
        await Proxy.RefuseAsync();
        var dying = TestTracers.Options(Proxy.BaseAddress, tempDir);
        dying.ShutdownTimeout = TimeSpan.FromMilliseconds(100);
        var first = new XRayTracer(dying);
        var blobs = Record(first);
        // The blobs too: a worker slower than the batch timer spooled its blob after the last event, and after the next
        // tracer had scanned the directory.
        await Wait.UntilAsync(() => first.Stats.EventsSpooled == 36 && Directory.GetFiles(tempDir, $"*.{SpoolKey.BlobPrefix}*.xr").Length == 3
            && first.Stats.Retries > 0, "everything spooled on disk");

        // The first tracer never gets through (its gateway stays down): as far as the data is concerned it died.
        // A second one on the same directory, with a working gateway, finds the spool at start-up and sends it.
        await using (var second = new XRayTracer(TestTracers.Options(Gateway.BaseAddress, tempDir)))
        {
            Assert.True(await second.FlushAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(36, second.Stats.EventsSent);
            Assert.Equal(3, second.Stats.BlobsSent);
        }

        await first.DisposeAsync();
        Assert.Equal(36, Gateway.Events.Count);
        Assert.All(blobs, id => Assert.True(Gateway.Blobs.ContainsKey(id.ToString())));
        Assert.Empty(Directory.GetFiles(tempDir, "*.xr"));
    }

    [Fact]
    public async Task A_spool_directory_removed_mid_run_is_made_again_and_nothing_is_lost()
    {
        var tempDir = TestTracers.NewTempDir();
        await using var tracer = new XRayTracer(TestTracers.Options(Gateway.BaseAddress, tempDir));
        tracer.CreateTrace("before");
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        Directory.Delete(tempDir, recursive: true); // as a temp cleaner does under a long-running process
        var blobs = Record(tracer);

        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));
        AssertNothingLost(tracer, blobs, 1 + (3 * 12));
        Assert.True(tracer.Stats.SpoolIsDisk);
        Assert.True(Directory.Exists(tempDir));
    }

    [Fact]
    public async Task Entries_waiting_in_a_spool_directory_that_is_removed_are_counted_as_dropped_not_lost_from_the_count()
    {
        var tempDir = TestTracers.NewTempDir();
        var options = TestTracers.Options(Proxy.BaseAddress, tempDir);
        options.MaxBatchSize = 1; // one entry per event
        await using var tracer = new XRayTracer(options);
        await Proxy.RefuseAsync(); // the entries wait on disk
        var trace = tracer.CreateTrace("run");
        trace.Step("a");
        trace.Step("b");
        await Wait.UntilAsync(() => tracer.Stats.EventsSpooled == 3, "three entries spooled");

        Directory.Delete(tempDir, recursive: true); // a temp cleaner: what waited there is gone
        trace.Success(); // made again by this write
        await Wait.UntilAsync(() => tracer.Stats.EventsSpooled == 4, "the fourth entry spooled");
        await Proxy.ListenAsync();

        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));
        var stats = tracer.Stats;
        Assert.Equal(4, stats.EventsRecorded);
        Assert.Equal(stats.EventsRecorded, stats.EventsSent + stats.EventsDropped); // every event counted, once
        Assert.True(stats.EventsDropped >= 2, $"the removed entries were not counted: {stats}");
        Assert.Contains(Gateway.Events.Values, e => e.GetProperty("type").GetString() == "success");
    }

    [Fact]
    public async Task A_spool_directory_that_becomes_unwritable_mid_run_falls_back_to_memory_and_nothing_is_lost()
    {
        var tempDir = TestTracers.NewTempDir();
        await using var tracer = new XRayTracer(TestTracers.Options(Gateway.BaseAddress, tempDir));
        tracer.CreateTrace("before");
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        Directory.Delete(tempDir, recursive: true);
        await File.WriteAllTextAsync(tempDir, "not a directory", TestContext.Current.CancellationToken); // every write now fails
        var blobs = Record(tracer);

        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));
        AssertNothingLost(tracer, blobs, 1 + (3 * 12));
        Assert.Equal(0, tracer.Stats.SpoolBytes);
    }

    [Fact]
    public async Task The_stats_say_the_spool_is_not_on_disk_while_the_disk_refuses_writes_and_say_so_again_once_it_takes_them()
    {
        var tempDir = TestTracers.NewTempDir();
        await using var tracer = new XRayTracer(TestTracers.Options(Gateway.BaseAddress, tempDir));
        tracer.CreateTrace("before");
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));
        Assert.True(tracer.Stats.SpoolIsDisk);

        Directory.Delete(tempDir, recursive: true);
        await File.WriteAllTextAsync(tempDir, "not a directory", TestContext.Current.CancellationToken); // every write now fails
        tracer.CreateTrace("while-refused");
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));
        Assert.False(tracer.Stats.SpoolIsDisk); // what is spooled now dies with the process

        File.Delete(tempDir);
        Directory.CreateDirectory(tempDir);
        tracer.CreateTrace("after");
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));
        Assert.True(tracer.Stats.SpoolIsDisk);
        Assert.Equal(3, Gateway.Events.Count);
    }

    [Fact]
    public async Task Tracers_of_different_projects_on_one_temp_dir_each_send_only_their_own_entries()
    {
        var tempDir = TestTracers.NewTempDir();
        await Proxy.RefuseAsync();
        var other = TestTracers.Options(Proxy.BaseAddress, tempDir, apiKey: "xray_other_key", projectId: "fedcba9876543210fedcba98");
        other.ShutdownTimeout = TimeSpan.FromMilliseconds(100);
        await using (var tracer = new XRayTracer(other))
        {
            var trace = tracer.CreateTrace("other-run");
            trace.Step("a");
            trace.Success();
            await Wait.UntilAsync(() => tracer.Stats.EventsSpooled == 3, "the other project's events spooled on disk");
        }

        var theirs = Directory.GetFiles(tempDir, "*.xr");
        Assert.NotEmpty(theirs);

        // before, this tracer took the other project's entries at start and sent them with its own key: every event was
        // refused as not of the key's project, and lost
        await using (var mine = new XRayTracer(TestTracers.Options(Gateway.BaseAddress, tempDir)))
        {
            mine.CreateTrace("run").Success();
            Assert.True(await mine.FlushAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(2, mine.Stats.EventsSent);
            Assert.Equal(0, mine.Stats.EventsDropped);
        }

        Assert.Equal(2, Gateway.Events.Count);
        Assert.Equal(theirs, Directory.GetFiles(tempDir, "*.xr")); // left for the other project's next tracer
    }

    [Fact]
    public async Task What_falls_back_to_memory_mid_run_and_is_still_unsent_at_dispose_is_counted_as_dropped()
    {
        var tempDir = TestTracers.NewTempDir();
        await Proxy.RefuseAsync();
        var options = TestTracers.Options(Proxy.BaseAddress, tempDir);
        options.ShutdownTimeout = TimeSpan.FromMilliseconds(500);
        var tracer = new XRayTracer(options);
        Directory.Delete(tempDir, recursive: true);
        await File.WriteAllTextAsync(tempDir, "not a directory", TestContext.Current.CancellationToken);
        Record(tracer);
        await Wait.UntilAsync(() => tracer.Stats.EventsRecorded == 36 && tracer.Stats.Retries > 0, "everything recorded, the gateway tried");

        await tracer.DisposeAsync();

        // the disk took nothing and the memory spool dies with the tracer: every event and blob is counted as lost
        Assert.Equal(0, tracer.Stats.EventsSent);
        Assert.Equal(36, tracer.Stats.EventsDropped);
        Assert.Equal(3, tracer.Stats.BlobsDropped);
        Assert.Equal(0, tracer.Stats.SpoolBytes);
    }

    [Fact]
    public async Task At_the_disk_limit_the_oldest_batches_are_dropped_first_and_counted()
    {
        await Proxy.RefuseAsync();
        var options = TestTracers.Options(Proxy.BaseAddress);
        options.MaxBatchSize = 1;
        options.MaxDiskSize = 4_000;
        await using var tracer = new XRayTracer(options);
        var trace = tracer.CreateTrace("run");
        for (var i = 0; i < 60; i++)
        {
            trace.Step($"step-{i}", input: new string('x', 100));
        }

        await Wait.UntilAsync(() => tracer.Stats.EventsSpooled == 61, "every batch spooled");
        var dropped = tracer.Stats.EventsDropped;
        Assert.True(dropped > 0, "4 KB cannot hold 61 batches");
        Assert.True(tracer.Stats.SpoolBytes <= 4_000);

        await Proxy.ListenAsync();
        Assert.True(await tracer.FlushAsync(TimeSpan.FromSeconds(30)));

        // What arrived is what was newest: every lost step is older than every step that arrived,
        // except the one batch that was being sent when the disk filled (it is never evicted).
        var arrived = Gateway.StepsOf(trace.TraceId).Select(s => s.GetProperty("stepNumber").GetInt32()).ToList();
        var lost = Enumerable.Range(1, 60).Except(arrived).ToList();
        Assert.Equal(61, tracer.Stats.EventsSent + tracer.Stats.EventsDropped);
        Assert.NotEmpty(lost);
        Assert.True(arrived.Count(n => n < lost.Max()) <= 2, $"arrived {string.Join(',', arrived)}; lost {string.Join(',', lost)}");
        Assert.Equal(60, arrived.Skip(arrived.Count - 1).Single());
    }

    [Fact]
    public async Task Flush_and_dispose_return_within_their_budget_while_the_gateway_hangs()
    {
        var options = TestTracers.Options(Proxy.BaseAddress);
        options.RequestTimeout = TimeSpan.FromMinutes(5); // an attempt would outlive the budget
        options.ShutdownTimeout = TimeSpan.FromMilliseconds(300);
        Proxy.Inject(Fault.Hang);
        var tracer = new XRayTracer(options);
        Record(tracer, traces: 1, steps: 3);

        var flushed = await tracer.FlushAsync(TimeSpan.FromMilliseconds(300)).WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        await tracer.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);

        Assert.False(flushed);
        Assert.Equal(0, tracer.Stats.EventsSent);
        Assert.True(tracer.Stats.EventsSpooled > 0, "what was not sent stays spooled for the next tracer");
    }
}
