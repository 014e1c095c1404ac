using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Serialization;
using XRay.Grains.Ingest;
using XRay.Grains.Ingest.Embedded;
using XRay.Grains.Options;
using XRay.Grains.Projects;
using XRay.Grains.Storage;
using XRay.Grains.Traces;

namespace XRay.Grains.Tests.Ingest;

/// <summary>
/// The silo's consumer loop (<see cref="IngestConsumer"/>) over a real embedded log, with the grains and the store
/// replaced by recorders: what survives a failing poll, and how big its batches get.
/// </summary>
public sealed class IngestConsumerTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _directory = new();
    private readonly EmbeddedIngestLog _log;
    private readonly ConcurrentDictionary<string, byte> _applied = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<int> _appliedAtOnce = new();
    private readonly TaskCompletionSource _allApplied = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RecordingLogger _logger = new();
    private int _expected = int.MaxValue;

    public IngestConsumerTests()
    {
        _log = new EmbeddedIngestLog(
            Microsoft.Extensions.Options.Options.Create(new EmbeddedIngestLogOptions { Directory = _directory.Path, Partitions = 2 }),
            NullLogger<EmbeddedIngestLog>.Instance,
            TimeProvider.System);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_poll_that_fails_is_retried_and_every_record_is_still_applied()
    {
        var ids = await AppendEventsAsync(60, padding: 0);
        var log = new FaultyLog(_log, failingPolls: 3);

        await using (var consumer = Start(log, Settings()))
        {
            await WaitForAllAppliedAsync(consumer.Consumer, ids.Count);
        }

        Assert.Equal(3, log.FailedPolls);
        Assert.Equal(3, _logger.Messages.Count(m => m.StartsWith("Warning: Polling the ingest log failed", StringComparison.Ordinal)));
        Assert.Equal(ids.Order(StringComparer.Ordinal), _applied.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(await _log.GetEndOffsetsAsync(Ct), await _log.GetCommittedOffsetsAsync("xray-consumers", Ct));
    }

    [Fact]
    public async Task A_poll_that_keeps_failing_does_not_hold_up_the_stop()
    {
        await AppendEventsAsync(5, padding: 0);
        var log = new FaultyLog(_log, failingPolls: int.MaxValue);
        var settings = Settings();
        settings.RetryDelay = TimeSpan.FromMinutes(10);

        var consumer = Start(log, settings);
        while (log.FailedPolls == 0)
        {
            Assert.False(consumer.Consumer.ExecuteTask!.IsCompleted, "the consumer stopped at the first failed poll");
            await Task.Delay(10, Ct);
        }

        // The consumer waits 10 minutes before its next poll; the stop ends that wait at once.
        await consumer.DisposeAsync().AsTask().WaitAsync(Patience, Ct);
        Assert.True(consumer.Consumer.ExecuteTask!.IsCompletedSuccessfully);
        Assert.Empty(_applied);
    }

    [Fact]
    public async Task Damage_in_the_log_is_not_retried_the_consumer_stops_as_before()
    {
        // Appends would go on behind a damaged frame in the newest segment and be lost with it: the host must stop.
        await AppendEventsAsync(5, padding: 0);
        var log = new FaultyLog(_log, failingPolls: int.MaxValue, () => new InvalidDataException("unreadable record at offset 3"));

        await using var consumer = Start(log, Settings());
        var stopped = await Assert.ThrowsAnyAsync<InvalidDataException>(() => consumer.Consumer.ExecuteTask!.WaitAsync(Patience, Ct));
        Assert.Contains("unreadable record", stopped.Message, StringComparison.Ordinal);
        Assert.Equal(1, log.FailedPolls);
        Assert.Empty(_applied);
    }

    [Fact]
    public async Task Batches_stay_within_MaxBatchBytes_and_every_record_is_applied()
    {
        // Events of ~3 KiB (their JSON), a byte bound of 16 KiB: at most 5 per batch, though MaxBatchSize allows 1000.
        // One trace: each batch is one call to its grain.
        var ids = await AppendEventsAsync(60, padding: 3000, traces: 1);
        var settings = Settings(new Dictionary<string, string?> { ["MaxBatchBytes"] = "16384" });

        await using (var consumer = Start(_log, settings))
        {
            await WaitForAllAppliedAsync(consumer.Consumer, ids.Count);
        }

        Assert.Equal(ids.Order(StringComparer.Ordinal), _applied.Keys.Order(StringComparer.Ordinal));
        Assert.All(_appliedAtOnce, events => Assert.InRange(events, 1, 16384 / 3000));
    }

    public async ValueTask DisposeAsync()
    {
        await _log.DisposeAsync();
        _directory.Dispose();
    }

    /// <summary>Options as the host binds them from <c>Ingest:Consumer</c>, with short waits.</summary>
    private static IngestConsumerOptions Settings(Dictionary<string, string?>? settings = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build();
        var options = configuration.Get<IngestConsumerOptions>() ?? new IngestConsumerOptions();
        options.RetryDelay = TimeSpan.FromMilliseconds(10);
        options.PollWait = TimeSpan.FromMilliseconds(50);
        options.CommitInterval = TimeSpan.Zero;
        options.BackgroundNice = 0;
        return options;
    }

    /// <summary>Appends <paramref name="count"/> step events, one record each, spread over a few traces; returns their event ids.</summary>
    private async Task<List<string>> AppendEventsAsync(int count, int padding, int traces = 4)
    {
        var ids = new List<string>();
        for (var n = 0; n < count; n++)
        {
            var suffix = n.ToString("x12", CultureInfo.InvariantCulture);
            var eventId = $"0193a1b2-0000-7e5f-8a9b-{suffix}";
            var traceId = $"{SampleEvents.Project}-0193a1b2-c3d4-7e5f-8a9b-00000000000{n % traces}";
            var json = $$"""{"eventId":"{{eventId}}","type":"step","traceId":"{{traceId}}","timestamp":"2026-12-01T10:00:01Z","stepId":"0193a1b2-0001-7e5f-8a9b-{{suffix}}","stepNumber":{{n + 1}},"name":"filter","kind":"llm","startedAt":"2026-12-01T10:00:01Z","endedAt":"2026-12-01T10:00:02Z","reasoning":"{{new string('r', padding)}}"}""";
            await _log.AppendAsync([Encoding.UTF8.GetBytes(json)], Ct);
            ids.Add(eventId);
        }

        _expected = count;
        return ids;
    }

    private async Task WaitForAllAppliedAsync(IngestConsumer consumer, int count)
    {
        Assert.Equal(count, _expected);
        var done = await Task.WhenAny(_allApplied.Task, consumer.ExecuteTask!, Task.Delay(Patience, Ct));
        Assert.False(consumer.ExecuteTask!.IsCompleted, $"the consumer stopped: {consumer.ExecuteTask.Exception?.GetBaseException().Message}");
        Assert.True(_allApplied.Task == done, $"{_applied.Count} of {count} events applied; logged: {string.Join(" | ", _logger.Messages)}");
    }

    private Task Apply(IReadOnlyList<IngestEvent> events)
    {
        foreach (var e in events)
        {
            _applied.TryAdd(e.EventId, 0);
        }

        if (_applied.Count >= _expected)
        {
            _allApplied.TrySetResult();
        }

        return Task.CompletedTask;
    }

    private RunningConsumer Start(IIngestLog log, IngestConsumerOptions settings)
    {
        var services = new ServiceCollection().AddSerializer().AddMetrics().BuildServiceProvider();
        var options = Microsoft.Extensions.Options.Options.Create(settings);
        var progress = new IngestProgress();
        var background = new BackgroundWork(options, NullLogger<BackgroundWork>.Instance);
        var grains = Stub.Create<IGrainFactory>((method, args) => method.Name == nameof(IGrainFactory.GetGrain) && method.IsGenericMethod
            ? Grain(method.GetGenericArguments()[0])
            : throw new NotSupportedException(method.Name));
        var store = Stub.Create<ITraceStore>((method, _) => method.Name == nameof(ITraceStore.FlushAsync) ? Task.CompletedTask : throw new NotSupportedException(method.Name));
        var consumer = new IngestConsumer(
            log,
            grains,
            new IngestRecordCodec(services.GetRequiredService<Serializer<IngestEvent>>()),
            store,
            progress,
            background,
            new ConsumerMetrics(services.GetRequiredService<IMeterFactory>(), log, progress),
            options,
            TimeProvider.System,
            _logger);
        consumer.StartAsync(Ct).GetAwaiter().GetResult();
        return new RunningConsumer(consumer, background, services);
    }

    private object Grain(Type type)
    {
        if (type == typeof(ITraceGrain))
        {
            return Stub.Create<ITraceGrain>((method, args) =>
            {
                var events = (IReadOnlyList<IngestEvent>)args![0]!;
                _appliedAtOnce.Enqueue(events.Count);
                return Apply(events);
            });
        }

        if (type == typeof(IProjectGrain))
        {
            return Stub.Create<IProjectGrain>((_, _) => Task.CompletedTask);
        }

        throw new NotSupportedException(type.Name);
    }

    private sealed class RunningConsumer(IngestConsumer consumer, BackgroundWork background, ServiceProvider services) : IAsyncDisposable
    {
        public IngestConsumer Consumer => consumer;

        public async ValueTask DisposeAsync()
        {
            await consumer.StopAsync(CancellationToken.None);
            consumer.Dispose();
            background.Dispose();
            await services.DisposeAsync();
        }
    }

    /// <summary>The log, whose consumers fail their first <c>failingPolls</c> polls as a segment that cannot be opened does.</summary>
    private sealed class FaultyLog(IIngestLog inner, int failingPolls, Func<Exception>? failure = null) : IIngestLog
    {
        private int _failed;

        public int FailedPolls => Volatile.Read(ref _failed);

        public string Topic => inner.Topic;

        public int PartitionCount => inner.PartitionCount;

        public int MaxRecordBytes => inner.MaxRecordBytes;

        public ValueTask AppendAsync(IReadOnlyList<ReadOnlyMemory<byte>> records, CancellationToken cancellationToken = default) => inner.AppendAsync(records, cancellationToken);

        public IIngestConsumer Subscribe(string group) => new Consumer(this, inner.Subscribe(group));

        private Exception Failure() => failure?.Invoke() ?? new IOException("Too many open files");

        /// <summary>True while polls are still to fail; counts the failure.</summary>
        private bool Fail()
        {
            if (Volatile.Read(ref _failed) >= failingPolls)
            {
                return false;
            }

            Interlocked.Increment(ref _failed);
            return true;
        }

        public ValueTask<IReadOnlyList<long>> GetEndOffsetsAsync(CancellationToken cancellationToken = default) => inner.GetEndOffsetsAsync(cancellationToken);

        public ValueTask<IReadOnlyList<long>> GetCommittedOffsetsAsync(string group, CancellationToken cancellationToken = default) => inner.GetCommittedOffsetsAsync(group, cancellationToken);

        private sealed class Consumer(FaultyLog log, IIngestConsumer inner) : IIngestConsumer
        {
            public ValueTask<IReadOnlyList<IngestRecord>> PollAsync(int maxRecords, long maxBytes, TimeSpan maxWait, CancellationToken cancellationToken = default)
            {
                if (log.Fail())
                {
                    throw log.Failure();
                }

                return inner.PollAsync(maxRecords, maxBytes, maxWait, cancellationToken);
            }

            public ValueTask CommitAsync(IReadOnlyList<IngestRecord> records, CancellationToken cancellationToken = default) => inner.CommitAsync(records, cancellationToken);

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }
}

/// <summary>Keeps what was logged, level and message.</summary>
internal sealed class RecordingLogger : ILogger<IngestConsumer>
{
    public ConcurrentQueue<string> Messages { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => Messages.Enqueue($"{logLevel}: {formatter(state, exception)}{(exception is null ? "" : $" ({exception.Message})")}");
}

/// <summary>An implementation of <typeparamref name="T"/> made at run time, every call answered by a handler.</summary>
public class Stub : DispatchProxy
{
    private Func<MethodInfo, object?[]?, object?> _handler = (_, _) => null;

    public static T Create<T>(Func<MethodInfo, object?[]?, object?> handler)
        where T : class
    {
        var proxy = Create<T, Stub>();
        ((Stub)(object)proxy)._handler = handler;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => _handler(targetMethod!, args);
}
