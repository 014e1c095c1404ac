using XRay.Testing;

namespace XRay.Sdk.Tests.Fakes;

/// <summary>Explicit waits with generous timeouts, instead of sleeps and timed assertions (<see cref="Poll"/>, polled often: these tests are fast).</summary>
public static class Wait
{
    public static Task UntilAsync(Func<bool> condition, string what, int seconds = 30) =>
        Poll.UntilAsync(condition, TimeSpan.FromSeconds(seconds), what, TimeSpan.FromMilliseconds(20));
}
