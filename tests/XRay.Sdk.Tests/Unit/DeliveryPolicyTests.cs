using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using XRay.Sdk.Diagnostics;
using XRay.Sdk.Http;
using XRay.Sdk.Uploading;

namespace XRay.Sdk.Tests.Unit;

public sealed class DeliveryPolicyTests
{
    private static readonly Delivery Ok = new(DeliveryOutcome.Delivered, 202);
    private readonly FakeTimeProvider _time = new();
    private readonly Counters _counters = new();
    private int _attempts;

    private DeliveryPolicy Policy() => new(
        new XRayOptions { RetryBaseDelay = TimeSpan.FromSeconds(1), RetryMaxDelay = TimeSpan.FromSeconds(30), RequestTimeout = TimeSpan.FromSeconds(10) },
        _time, _counters, NullLogger.Instance);

    private Task<Delivery> Run(Func<int, Task<Delivery>> attempt, CancellationToken cancellationToken = default) =>
        Policy().ExecuteAsync("e_test", _ => attempt(Interlocked.Increment(ref _attempts)), cancellationToken);

    private async Task AdvanceUntilAsync(Task task, TimeSpan step)
    {
        for (var i = 0; i < 1000 && !task.IsCompleted; i++)
        {
            _time.Advance(step);
            await Task.Delay(1);
        }
    }

    [Fact]
    public async Task A_refusal_is_not_retried()
    {
        var result = await Run(_ => Task.FromResult(new Delivery(DeliveryOutcome.Refused, 400)));

        Assert.Equal(DeliveryOutcome.Refused, result.Outcome);
        Assert.Equal(1, _attempts);
        Assert.Equal(0, _counters.Snapshot(0, true).Retries);
    }

    [Fact]
    public async Task Server_errors_and_connection_failures_are_retried_with_backoff_until_delivered()
    {
        var task = Run(n => n switch
        {
            1 => Task.FromResult(new Delivery(DeliveryOutcome.Transient, 500)),
            2 => throw new HttpRequestException("connection refused"),
            3 => Task.FromResult(new Delivery(DeliveryOutcome.Transient, 503)),
            _ => Task.FromResult(Ok),
        });

        Assert.False(task.IsCompleted); // waiting for the first backoff: no attempt without time passing
        Assert.Equal(1, _attempts);
        await AdvanceUntilAsync(task, TimeSpan.FromSeconds(1));

        Assert.Equal(DeliveryOutcome.Delivered, (await task).Outcome);
        Assert.Equal(4, _attempts);
        Assert.Equal(3, _counters.Snapshot(0, true).Retries);
    }

    [Fact]
    public async Task Retry_after_is_honoured()
    {
        var task = Run(n => Task.FromResult(n == 1 ? new Delivery(DeliveryOutcome.Transient, 429, TimeSpan.FromSeconds(20)) : Ok));

        _time.Advance(TimeSpan.FromSeconds(19.9));
        await Task.Delay(20);
        Assert.Equal(1, _attempts);

        _time.Advance(TimeSpan.FromSeconds(0.2));
        Assert.Equal(DeliveryOutcome.Delivered, (await task.WaitAsync(TimeSpan.FromSeconds(10))).Outcome);
        Assert.Equal(2, _attempts);
    }

    [Fact]
    public async Task An_attempt_that_hangs_is_cut_off_and_retried()
    {
        var task = Policy().ExecuteAsync("e_test", async attemptToken =>
        {
            if (Interlocked.Increment(ref _attempts) == 1)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, _time, attemptToken); // cancelled by the policy's timeout
            }

            return Ok;
        }, CancellationToken.None);

        await AdvanceUntilAsync(task, TimeSpan.FromSeconds(1));

        Assert.Equal(DeliveryOutcome.Delivered, (await task).Outcome);
        Assert.Equal(2, _attempts);
    }

    [Fact]
    public async Task Stopping_ends_the_retries()
    {
        using var stop = new CancellationTokenSource();
        var task = Run(_ => Task.FromResult(new Delivery(DeliveryOutcome.Transient, 503)), stop.Token);
        await AdvanceUntilAsync(Task.Delay(50), TimeSpan.FromSeconds(5));

        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
