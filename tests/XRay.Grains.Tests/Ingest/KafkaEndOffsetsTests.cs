using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using XRay.Grains.Ingest.Kafka;
using XRay.Grains.Options;
using ErrorCode = Confluent.Kafka.ErrorCode;

namespace XRay.Grains.Tests.Ingest;

/// <summary>
/// End offsets answer from memory: this process's appends from their delivery reports, the brokers' watermarks from a
/// query made at most every <see cref="KafkaIngestLogOptions.EndOffsetsRefresh"/> and shared by concurrent callers.
/// Fake producers and a fake broker query, no broker.
/// </summary>
public sealed class KafkaEndOffsetsTests
{
    private const int Concurrent = 16;

    private static readonly TimeSpan Refresh = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new();
    private readonly BrokerQuery _broker = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Concurrent_calls_within_the_interval_share_one_broker_query()
    {
        var answer = _broker.Hold();
        await using var log = Open();

        var calls = Enumerable.Range(0, Concurrent).Select(_ => Task.Run(() => log.GetEndOffsetsAsync(Ct).AsTask(), Ct)).ToArray();
        await _broker.FirstStarted.WaitAsync(Bound, Ct);
        Assert.All(calls, call => Assert.False(call.IsCompleted));
        answer.SetResult([4, 5, 6]);

        foreach (var call in calls)
        {
            Assert.Equal([4, 5, 6], await call.WaitAsync(Bound, Ct));
        }

        _time.Advance(Refresh - TimeSpan.FromMilliseconds(1));
        for (var i = 0; i < Concurrent; i++)
        {
            Assert.Equal([4, 5, 6], await log.GetEndOffsetsAsync(Ct));
        }

        Assert.Equal(1, _broker.Queries);
    }

    [Fact]
    public async Task Own_appends_are_covered_at_once_without_a_query()
    {
        _broker.Answer([5, 0, 0]);
        await using var log = Open(At((1, 7), (2, 3), (0, 2)));
        Assert.Equal([5, 0, 0], await log.GetEndOffsetsAsync(Ct));

        await log.AppendAsync([new byte[] { 0 }, new byte[] { 1 }, new byte[] { 2 }], Ct).AsTask().WaitAsync(Bound, Ct);

        // Partition 0's watermark is past this process's record there already.
        Assert.Equal([5, 8, 4], await log.GetEndOffsetsAsync(Ct));
        Assert.Equal(1, _broker.Queries);
    }

    [Fact]
    public async Task An_own_append_to_a_partition_the_brokers_answer_lacked_extends_the_answer()
    {
        _broker.Answer([5, 0, 0]);
        await using var log = Open(At((4, 9)));
        Assert.Equal([5, 0, 0], await log.GetEndOffsetsAsync(Ct));

        await log.AppendAsync([new byte[] { 0 }], Ct).AsTask().WaitAsync(Bound, Ct);

        Assert.Equal([5, 0, 0, 0, 10], await log.GetEndOffsetsAsync(Ct));
        Assert.Equal(1, _broker.Queries);
    }

    [Fact]
    public async Task Acknowledgements_racing_the_growth_of_the_partitions_are_all_kept()
    {
        const int Partitions = 64, Writers = 8, PerWriter = 400;
        _broker.Answer([]);
        var ends = new TopicEndOffsets(_broker.QueryAsync, Refresh, partitions: 1, _time, NullLogger.Instance);

        // Each writer names every partition, in a different order, so growing and raising race each other.
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                ends.Acknowledged((i * (w + 1)) % Partitions, (w * PerWriter) + i);
            }
        }, Ct)));

        var expected = new long[Partitions];
        for (var w = 0; w < Writers; w++)
        {
            for (var i = 0; i < PerWriter; i++)
            {
                var partition = (i * (w + 1)) % Partitions;
                expected[partition] = Math.Max(expected[partition], (w * PerWriter) + i + 1);
            }
        }

        Assert.Equal(expected, await ends.GetAsync(Ct));
    }

    [Fact]
    public async Task After_the_interval_the_brokers_are_queried_again()
    {
        _broker.Answer([1, 2]);
        await using var log = Open();
        Assert.Equal([1, 2], await log.GetEndOffsetsAsync(Ct));

        _broker.Answer([3, 4]);
        _time.Advance(Refresh);

        Assert.Equal([3, 4], await log.GetEndOffsetsAsync(Ct));
        Assert.Equal([3, 4], await log.GetEndOffsetsAsync(Ct));
        Assert.Equal(2, _broker.Queries);
    }

    [Fact]
    public async Task A_failed_refresh_answers_from_the_last_watermarks_and_the_next_call_queries_again()
    {
        _broker.Answer([3, 3]);
        await using var log = Open(At((1, 5)));
        Assert.Equal([3, 3], await log.GetEndOffsetsAsync(Ct));
        await log.AppendAsync([new byte[] { 0 }], Ct).AsTask().WaitAsync(Bound, Ct);

        _broker.Fail();
        _time.Advance(Refresh);
        Assert.Equal([3, 6], await log.GetEndOffsetsAsync(Ct));
        Assert.Equal(2, _broker.Queries);

        _broker.Answer([9, 9]);
        Assert.Equal([9, 9], await log.GetEndOffsetsAsync(Ct));
        Assert.Equal(3, _broker.Queries);
    }

    [Fact]
    public async Task Without_a_cached_answer_a_failed_query_fails_the_call_and_the_next_call_queries_again()
    {
        _broker.Fail();
        await using var log = Open();

        await Assert.ThrowsAsync<KafkaException>(() => log.GetEndOffsetsAsync(Ct).AsTask().WaitAsync(Bound, Ct));

        _broker.Answer([2]);
        Assert.Equal([2], await log.GetEndOffsetsAsync(Ct));
        Assert.Equal(2, _broker.Queries);
    }

    [Fact]
    public async Task A_cancelled_caller_leaves_the_shared_query_to_the_others()
    {
        var answer = _broker.Hold();
        await using var log = Open();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var cancelled = log.GetEndOffsetsAsync(cancel.Token).AsTask();
        var waiting = log.GetEndOffsetsAsync(Ct).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Bound, Ct));
        answer.SetResult([7]);

        Assert.Equal([7], await waiting.WaitAsync(Bound, Ct));
        Assert.Equal(1, _broker.Queries);
    }

    [Fact]
    public async Task An_interval_of_zero_queries_the_brokers_on_every_call()
    {
        _broker.Answer([1]);
        await using var log = Open(refresh: TimeSpan.Zero);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal([1], await log.GetEndOffsetsAsync(Ct));
        }

        Assert.Equal(5, _broker.Queries);
    }

    /// <summary>Delivery reports placing the n-th record produced at the n-th (partition, offset).</summary>
    private static Func<byte[], Task<DeliveryResult<Null, byte[]>>> At(params (int Partition, long Offset)[] positions)
    {
        var produced = -1;
        return _ =>
        {
            var (partition, offset) = positions[Interlocked.Increment(ref produced)];
            return Task.FromResult(new DeliveryResult<Null, byte[]>
            {
                Status = PersistenceStatus.Persisted,
                TopicPartitionOffset = new TopicPartitionOffset("t", new Partition(partition), new Offset(offset)),
            });
        };
    }

    private KafkaIngestLog Open(Func<byte[], Task<DeliveryResult<Null, byte[]>>>? deliveries = null, TimeSpan? refresh = null)
    {
        var options = new KafkaIngestLogOptions
        {
            BootstrapServers = "127.0.0.1:1",
            CreateTopic = false,
            EndOffsetsRefresh = refresh ?? Refresh,
            AdminClientFactory = _ => KafkaTopicAndAdminTests.FakeAdmin.Create(),
            ProducerFactory = _ => KafkaProducerRenewalTests.FakeProducer.Create(deliveries ?? At()).Client,
        };
        return new KafkaIngestLog(Microsoft.Extensions.Options.Options.Create(options), NullLogger<KafkaIngestLog>.Instance, _time, _broker.QueryAsync);
    }

    /// <summary>The brokers' watermarks as the test sets them; counts the queries.</summary>
    private sealed class BrokerQuery
    {
        private readonly TaskCompletionSource _firstStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Func<Task<long[]>> _next = () => Task.FromResult<long[]>([]);
        private int _queries;

        public int Queries => Volatile.Read(ref _queries);

        public Task FirstStarted => _firstStarted.Task;

        public void Answer(long[] ends) => _next = () => Task.FromResult(ends);

        public void Fail() => _next = () => Task.FromException<long[]>(new KafkaException(ErrorCode.Local_Transport));

        /// <summary>The next queries wait for the test's answer.</summary>
        public TaskCompletionSource<long[]> Hold()
        {
            var answer = new TaskCompletionSource<long[]>(TaskCreationOptions.RunContinuationsAsynchronously);
            _next = () => answer.Task;
            return answer;
        }

        public Task<long[]> QueryAsync()
        {
            Interlocked.Increment(ref _queries);
            _firstStarted.TrySetResult();
            return _next();
        }
    }
}
