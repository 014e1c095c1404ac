using XRay.Testing;

namespace XRay.Sdk.Tests.Harness;

/// <summary>The test harness' wait (<see cref="Poll"/>): every suite's waits for the server rest on it.</summary>
public sealed class PollTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromMilliseconds(1);

    [Fact]
    public async Task Returns_the_first_reading_that_holds_after_reading_again()
    {
        var reads = 0;
        var value = await Poll.UntilAsync(() => Task.FromResult(++reads), n => n >= 3, TimeSpan.FromSeconds(30), "three reads", Quick);
        Assert.Equal(3, value);
        Assert.Equal(3, reads);
    }

    [Fact]
    public async Task Gives_up_after_the_timeout_naming_what_it_waited_for_and_the_last_reading()
    {
        var reads = 0;
        var timeout = await Assert.ThrowsAsync<TimeoutException>(
            () => Poll.UntilAsync(() => Task.FromResult($"reading {++reads}"), _ => false, TimeSpan.FromMilliseconds(50), "a value that never comes", Quick));
        Assert.Contains("a value that never comes", timeout.Message, StringComparison.Ordinal);
        Assert.Contains($"reading {reads}", timeout.Message, StringComparison.Ordinal);
        Assert.True(reads > 1, "it read again before giving up");
    }

    [Fact]
    public async Task A_condition_that_never_holds_times_out_without_a_reading_in_the_message()
    {
        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => Poll.UntilAsync(() => false, TimeSpan.FromMilliseconds(20), "nothing", Quick));
        Assert.Equal("Waited 0.02 s for nothing", timeout.Message);
    }

    [Fact]
    public async Task A_failed_read_ends_the_wait_at_once()
    {
        var reads = 0;
        await Assert.ThrowsAsync<InvalidOperationException>(
            () => Poll.UntilAsync<int>(() => { reads++; throw new InvalidOperationException("answered 500"); }, _ => true, TimeSpan.FromSeconds(30), "a read", Quick));
        Assert.Equal(1, reads);
    }

    [Fact]
    public async Task ReadUntil_returns_the_last_reading_and_whether_it_held()
    {
        var reads = 0;
        var (held, heldAt) = await Poll.ReadUntilAsync(() => Task.FromResult(++reads), n => n == 2, TimeSpan.FromSeconds(30), Quick);
        Assert.Equal((2, true), (held, heldAt));

        var (last, lastHeld) = await Poll.ReadUntilAsync(() => Task.FromResult(++reads), _ => false, TimeSpan.FromMilliseconds(20), Quick);
        Assert.False(lastHeld);
        Assert.Equal(reads, last);
    }
}
