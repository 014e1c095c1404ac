using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using XRay.Sdk.Diagnostics;
using XRay.Sdk.Http;
using XRay.Sdk.Tests.Fakes;
using XRay.Sdk.Uploading;

namespace XRay.Sdk.Tests.Unit;

public sealed class DeliveryPolicyTests
{
    private static readonly Delivery Ok = new(DeliveryOutcome.Delivered, 202);
    private readonly FakeTimeProvider _time = new();
    private readonly Counters _counters = new();
    private int _attempts;

    private static readonly Delivery ServerError = new(DeliveryOutcome.ServerError, 500, Detail: "a bug");
    private static readonly Delivery Unavailable = new(DeliveryOutcome.Transient, 503);
    private readonly LogRecorder _logs = new();

    private DeliveryPolicy Policy(int maxServerErrorAttempts = 8) => new(
        new XRayOptions { RetryBaseDelay = TimeSpan.FromSeconds(1), RetryMaxDelay = TimeSpan.FromSeconds(30), RequestTimeout = TimeSpan.FromSeconds(10), MaxServerErrorAttempts = maxServerErrorAttempts },
        _time, _counters, _logs.CreateLogger("test"));

    private Task<Delivery> Run(Func<int, Task<Delivery>> attempt, int maxServerErrorAttempts = 8, CancellationToken cancellationToken = default) =>
        Policy(maxServerErrorAttempts).ExecuteAsync("e_test", 0, _ => attempt(Interlocked.Increment(ref _attempts)), cancellationToken);

    private async Task AdvanceUntilAsync(Task task, TimeSpan step)
    {
        for (var i = 0; i < 1000 && !task.IsCompleted; i++)
        {
            _time.Advance(step);
            await Task.Delay(1);
        }
    }

    [Fact]
    public async Task A_steady_Retry_After_is_honoured_but_the_retries_still_back_off()
    {
        using var stop = new CancellationTokenSource();
        var asksFiveSeconds = new Delivery(DeliveryOutcome.Transient, 503, RetryAfter: TimeSpan.FromSeconds(5));
        var task = Run(_ => Task.FromResult(asksFiveSeconds), cancellationToken: stop.Token);

        for (var i = 0; i < 49; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(1, TestContext.Current.CancellationToken);
        }

        Assert.Equal(1, _attempts); // never sooner than the server asked

        await AdvanceUntilAsync(Task.Delay(Timeout.Infinite, TestContext.Current.CancellationToken), TimeSpan.FromSeconds(1)); // 1,000 s
        // At the server's fixed 5 s that would be ~200 attempts; backing off to RetryMaxDelay (30 s) it is ~35.
        Assert.InRange(_attempts, 20, 60);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
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
            1 => Task.FromResult(ServerError),
            2 => throw new HttpRequestException("connection refused"),
            3 => Task.FromResult(Unavailable),
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
    public async Task A_server_error_is_retried_until_MaxServerErrorAttempts_then_given_up_with_a_warning()
    {
        var task = Run(_ => Task.FromResult(ServerError), maxServerErrorAttempts: 3);
        await AdvanceUntilAsync(task, TimeSpan.FromSeconds(1));

        var result = await task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(DeliveryOutcome.ServerError, result.Outcome);
        Assert.Equal(3, _attempts);
        Assert.Equal(2, _counters.Snapshot(0, true).Retries);
        var warning = Assert.Single(_logs.Entries, e => e.EventName == "GaveUp");
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("e_test", warning.Message, StringComparison.Ordinal);
        Assert.Contains("3 times, last with 500", warning.Message, StringComparison.Ordinal);
        Assert.Contains("a bug", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unavailability_between_server_errors_neither_counts_nor_resets_the_count()
    {
        // 500, 503, 503, 500, a network error, 503, 500: the third server error ends it, seven attempts in
        var task = Run(n => n switch
        {
            1 or 4 or 7 => Task.FromResult(ServerError),
            5 => throw new HttpRequestException("connection reset"),
            _ => Task.FromResult(Unavailable),
        }, maxServerErrorAttempts: 3);
        await AdvanceUntilAsync(task, TimeSpan.FromSeconds(1));

        Assert.Equal(DeliveryOutcome.ServerError, (await task.WaitAsync(TimeSpan.FromSeconds(10))).Outcome);
        Assert.Equal(7, _attempts);
    }

    [Fact]
    public async Task An_upload_refusal_is_retried_until_MaxUploadRefusals_counted_apart_from_server_errors()
    {
        // 403, 500, 403, 403: the third refusal ends it; the server error between them counts against its own bound
        var refused = new Delivery(DeliveryOutcome.UploadRefused, 403, Detail: "Request has expired");
        var task = Run(n => Task.FromResult(n == 2 ? ServerError : refused), maxServerErrorAttempts: 2);
        await AdvanceUntilAsync(task, TimeSpan.FromSeconds(1));

        Assert.Equal(DeliveryOutcome.UploadRefused, (await task.WaitAsync(TimeSpan.FromSeconds(10))).Outcome);
        Assert.Equal(DeliveryPolicy.MaxUploadRefusals + 1, _attempts);
        Assert.DoesNotContain(_logs.Entries, e => e.EventName == "GaveUp");
    }

    [Fact]
    public async Task Unavailability_is_retried_far_past_MaxServerErrorAttempts()
    {
        var task = Run(n => Task.FromResult(n switch
        {
            <= 20 => Unavailable,
            21 => new Delivery(DeliveryOutcome.Transient, 429, TimeSpan.FromSeconds(2)),
            _ => Ok,
        }), maxServerErrorAttempts: 1);
        await AdvanceUntilAsync(task, TimeSpan.FromSeconds(5));

        Assert.Equal(DeliveryOutcome.Delivered, (await task).Outcome);
        Assert.Equal(22, _attempts);
        Assert.DoesNotContain(_logs.Entries, e => e.EventName == "GaveUp");
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
        var task = Policy().ExecuteAsync("e_test", 0, async attemptToken =>
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
    public async Task A_large_entry_is_given_time_for_its_bytes_beyond_the_request_timeout()
    {
        // 50 MiB at the slowest rate allowed take 50 s on top of the 10 s RequestTimeout; the transfer takes 40 s
        var task = Policy().ExecuteAsync("e_test", 50L * DeliveryPolicy.MinBytesPerSecond, async attemptToken =>
        {
            Interlocked.Increment(ref _attempts);
            await Task.Delay(TimeSpan.FromSeconds(40), _time, attemptToken);
            return Ok;
        }, CancellationToken.None);

        await AdvanceUntilAsync(task, TimeSpan.FromSeconds(1));

        Assert.True(task.IsCompleted, "a 40 s transfer of 50 MiB was cut off and retried for ever");
        Assert.Equal(DeliveryOutcome.Delivered, (await task).Outcome);
        Assert.Equal(1, _attempts);
    }

    [Fact]
    public async Task Stopping_ends_the_retries()
    {
        using var stop = new CancellationTokenSource();
        var task = Run(_ => Task.FromResult(Unavailable), cancellationToken: stop.Token);
        await AdvanceUntilAsync(Task.Delay(50), TimeSpan.FromSeconds(5));

        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
