namespace XRay.Sdk.Tests.Fakes;

/// <summary>Explicit waits with generous timeouts, instead of sleeps and timed assertions.</summary>
public static class Wait
{
    public static async Task UntilAsync(Func<bool> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {seconds}s for: {what}");
            }

            await Task.Delay(20);
        }
    }
}
