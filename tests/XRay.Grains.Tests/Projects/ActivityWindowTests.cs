using Microsoft.Extensions.Time.Testing;
using XRay.Grains.Projects;

namespace XRay.Grains.Tests.Projects;

public sealed class ActivityWindowTests
{
    [Fact]
    public void Counts_the_last_sixty_seconds_and_forgets_older_ones()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 12, 0, 0, 500, TimeSpan.Zero));
        var window = new ActivityWindow(time);
        Assert.Equal((0L, 0L), window.LastMinute());

        window.Add(10, 4);
        window.Add(5, 0);
        time.Advance(TimeSpan.FromSeconds(30));
        window.Add(7, 7);
        Assert.Equal((22L, 11L), window.LastMinute());

        time.Advance(TimeSpan.FromSeconds(29)); // 59 s after the first: still inside
        Assert.Equal((22L, 11L), window.LastMinute());
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal((7L, 7L), window.LastMinute());

        // The bucket of the first second is reused for the second a minute on, not added to.
        time.Advance(TimeSpan.FromSeconds(30));
        window.Add(1, 0);
        Assert.Equal((1L, 0L), window.LastMinute());
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal((0L, 0L), window.LastMinute());
    }
}
