using System.Reflection;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using XRay.Grains.Ingest.Kafka;
using XRay.Grains.Options;
using ErrorCode = Confluent.Kafka.ErrorCode;

namespace XRay.Grains.Tests.Ingest;

/// <summary>
/// A producer that failed fatally (an idempotent producer out of sequence, or fenced) never produces again: the log
/// builds a new one. Fake producers from <see cref="KafkaIngestLogOptions.ProducerFactory"/>, no broker.
/// </summary>
public sealed class KafkaProducerRenewalTests
{
    private const int Concurrent = 8;

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task After_a_fatal_error_the_next_append_goes_to_a_new_producer()
    {
        var built = new List<FakeProducer>();
        await using var log = Open(built, generation => generation == 0 ? _ => Failing(fatal: true) : _ => Persisted());

        await Assert.ThrowsAsync<IOException>(() => log.AppendAsync([new byte[] { 1 }], Ct).AsTask().WaitAsync(Bound, Ct));
        await log.AppendAsync([new byte[] { 2 }], Ct).AsTask().WaitAsync(Bound, Ct);

        Assert.Equal(2, Count(built));
        Assert.Equal(1, built[1].Produced);
        await built[0].Disposed.WaitAsync(Bound, Ct);
    }

    [Fact]
    public async Task Concurrent_appends_meeting_a_fatal_error_rebuild_the_producer_once()
    {
        var inFlight = Enumerable.Range(0, Concurrent).Select(_ => new TaskCompletionSource<DeliveryResult<Null, byte[]>>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var allInFlight = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var produced = 0;
        var built = new List<FakeProducer>();
        await using var log = Open(built, generation => generation > 0 ? _ => Persisted() : _ =>
        {
            // The first appends wait for the test; once the producer failed, librdkafka fails every produce at once.
            var n = Interlocked.Increment(ref produced);
            if (n == Concurrent)
            {
                allInFlight.SetResult();
            }

            return n <= Concurrent ? inFlight[n - 1].Task : Failing(fatal: true);
        });

        var failing = AppendConcurrently(log);
        await allInFlight.Task.WaitAsync(Bound, Ct);
        var during = AppendConcurrently(log);
        foreach (var delivery in inFlight)
        {
            delivery.SetException(FatalError());
        }

        foreach (var append in failing)
        {
            await Assert.ThrowsAsync<IOException>(() => append.WaitAsync(Bound, Ct));
        }

        // Appends racing the swap may still meet the failed producer; either way they end, and no second rebuild follows.
        await Task.WhenAll(during).WaitAsync(Bound, Ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        Assert.All(during, append => Assert.True(append.IsCompletedSuccessfully || append.Exception?.InnerException is IOException, append.Exception?.ToString()));
        await Task.WhenAll(AppendConcurrently(log)).WaitAsync(Bound, Ct);

        Assert.Equal(2, Count(built));
        await built[0].Disposed.WaitAsync(Bound, Ct);
    }

    [Fact]
    public async Task A_non_fatal_error_keeps_the_producer()
    {
        var built = new List<FakeProducer>();
        await using var log = Open(built, _ => value => value[0] == 1 ? Failing(fatal: false) : Persisted());

        await Assert.ThrowsAsync<IOException>(() => log.AppendAsync([new byte[] { 1 }], Ct).AsTask().WaitAsync(Bound, Ct));
        await log.AppendAsync([new byte[] { 2 }], Ct).AsTask().WaitAsync(Bound, Ct);

        Assert.Equal(1, Count(built));
        Assert.Equal(2, built[0].Produced);
        Assert.False(built[0].Disposed.IsCompleted);
    }

    [Fact]
    public async Task An_append_waiting_on_a_replaced_producer_fails_instead_of_waiting_forever()
    {
        var never = new TaskCompletionSource<DeliveryResult<Null, byte[]>>();
        var built = new List<FakeProducer>();
        await using var log = Open(built, generation => generation > 0 ? _ => Persisted() : value => value[0] == 0 ? never.Task : Failing(fatal: true));

        var stuck = log.AppendAsync([new byte[] { 0 }], Ct).AsTask();
        await Assert.ThrowsAsync<IOException>(() => log.AppendAsync([new byte[] { 1 }], Ct).AsTask().WaitAsync(Bound, Ct));

        // Its delivery report never comes: the old producer was flushed and disposed, so the append gives up.
        var error = await Assert.ThrowsAsync<IOException>(() => stuck.WaitAsync(Bound, Ct));
        Assert.Contains("1 of 1 records", error.Message, StringComparison.Ordinal);
        await log.AppendAsync([new byte[] { 2 }], Ct).AsTask().WaitAsync(Bound, Ct);
        Assert.Equal(2, Count(built));
    }

    [Fact]
    public async Task A_fatal_error_from_the_error_handler_replaces_the_producer_before_the_next_append()
    {
        var built = new List<FakeProducer>();
        await using var log = Open(built, _ => _ => Persisted());

        // What the standard client's error handler passes on: librdkafka reports errors there too, fatal or not.
        log.Producer.OnError(built[0].Client, new Error(ErrorCode.Local_Transport, "broker down"));
        Assert.Equal(1, Count(built));
        log.Producer.OnError(built[0].Client, new Error(ErrorCode.InvalidProducerEpoch, "Broker: producer fenced", isFatal: true));
        log.Producer.OnError(built[0].Client, new Error(ErrorCode.Local_Fatal, "the same failure, reported again"));
        await log.AppendAsync([new byte[] { 1 }], Ct).AsTask().WaitAsync(Bound, Ct);

        Assert.Equal(2, Count(built));
        Assert.Equal(0, built[0].Produced);
        Assert.Equal(1, built[1].Produced);
        await built[0].Disposed.WaitAsync(Bound, Ct);
    }

    [Fact]
    public async Task A_failed_rebuild_is_retried_after_a_backoff_not_by_every_append()
    {
        var time = new FakeTimeProvider();
        var built = new List<FakeProducer>();
        var attempts = 0;
        var options = Options(built, generation => generation == 0 ? _ => Failing(fatal: true) : _ => Persisted());
        var build = options.ProducerFactory!;
        options.ProducerFactory = config => ++attempts == 2 ? throw new InvalidOperationException("cannot build now") : build(config);
        await using var log = new KafkaIngestLog(Microsoft.Extensions.Options.Options.Create(options), NullLogger<KafkaIngestLog>.Instance, time);

        await Assert.ThrowsAsync<IOException>(() => log.AppendAsync([new byte[] { 1 }], Ct).AsTask().WaitAsync(Bound, Ct));
        Assert.Equal(2, attempts);
        var error = await Assert.ThrowsAsync<IOException>(() => log.AppendAsync([new byte[] { 2 }], Ct).AsTask().WaitAsync(Bound, Ct));
        Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Equal(2, attempts);

        time.Advance(TimeSpan.FromSeconds(1));
        await log.AppendAsync([new byte[] { 3 }], Ct).AsTask().WaitAsync(Bound, Ct);

        Assert.Equal(3, attempts);
        Assert.Equal(1, built[1].Produced);
    }

    private static Task[] AppendConcurrently(KafkaIngestLog log)
        => [.. Enumerable.Range(0, Concurrent).Select(i => Task.Run(() => log.AppendAsync([new byte[] { (byte)i }], Ct).AsTask(), Ct))];

    private static Task<DeliveryResult<Null, byte[]>> Persisted()
        => Task.FromResult(new DeliveryResult<Null, byte[]> { Status = PersistenceStatus.Persisted });

    private static Task<DeliveryResult<Null, byte[]>> Failing(bool fatal)
        => Task.FromException<DeliveryResult<Null, byte[]>>(fatal ? FatalError() : new ProduceException<Null, byte[]>(
            new Error(ErrorCode.Local_MsgTimedOut, "Message timed out"), new DeliveryResult<Null, byte[]> { Status = PersistenceStatus.NotPersisted }));

    /// <summary>What librdkafka reports when an idempotent producer lost track of its sequence numbers.</summary>
    private static ProduceException<Null, byte[]> FatalError()
        => new(new Error(ErrorCode.OutOfOrderSequenceNumber, "Broker: out of order sequence number", isFatal: true),
            new DeliveryResult<Null, byte[]> { Status = PersistenceStatus.NotPersisted });

    private static int Count(List<FakeProducer> built)
    {
        lock (built)
        {
            return built.Count;
        }
    }

    /// <summary>A log whose n-th producer (0 first) answers each record with <paramref name="answers"/>(n).</summary>
    private static KafkaIngestLog Open(List<FakeProducer> built, Func<int, Func<byte[], Task<DeliveryResult<Null, byte[]>>>> answers)
        => new(Microsoft.Extensions.Options.Options.Create(Options(built, answers)), NullLogger<KafkaIngestLog>.Instance);

    private static KafkaIngestLogOptions Options(List<FakeProducer> built, Func<int, Func<byte[], Task<DeliveryResult<Null, byte[]>>>> answers)
        => new()
        {
            BootstrapServers = "127.0.0.1:1",
            CreateTopic = false,
            AdminClientFactory = _ => KafkaTopicAndAdminTests.FakeAdmin.Create(),
            ProducerFactory = _ =>
            {
                lock (built)
                {
                    var producer = FakeProducer.Create(answers(built.Count));
                    built.Add(producer);
                    return producer.Client;
                }
            },
        };

    /// <summary>A producer without a broker: each record gets the test's answer; counts records and notes its disposal.</summary>
    public class FakeProducer : DispatchProxy
    {
        private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Func<byte[], Task<DeliveryResult<Null, byte[]>>> _answer = _ => Persisted();
        private int _produced;

        public IProducer<Null, byte[]> Client => (IProducer<Null, byte[]>)(object)this;

        public int Produced => Volatile.Read(ref _produced);

        public Task Disposed => _disposed.Task;

        public static FakeProducer Create(Func<byte[], Task<DeliveryResult<Null, byte[]>>> answer)
        {
            var producer = (FakeProducer)(object)DispatchProxy.Create<IProducer<Null, byte[]>, FakeProducer>();
            producer._answer = answer;
            return producer;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            switch (targetMethod!.Name)
            {
                case nameof(IProducer<Null, byte[]>.ProduceAsync):
                    Interlocked.Increment(ref _produced);
                    return _answer(((Message<Null, byte[]>)args![1]!).Value);
                case nameof(IProducer<Null, byte[]>.Flush):
                    return 0;
                case nameof(IDisposable.Dispose):
                    _disposed.TrySetResult();
                    return null;
                default:
                    throw new NotSupportedException(targetMethod.Name);
            }
        }
    }
}
