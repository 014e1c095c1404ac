using XRay.Sdk.Events;

namespace XRay.Sdk.Tests.Unit;

public sealed class Uuid7Tests
{
    [Fact]
    public void Ids_are_version_7_with_the_rfc_variant_and_carry_their_time()
    {
        var at = new DateTime(2026, 11, 25, 9, 30, 0, 123, DateTimeKind.Utc);
        var id = Uuid7.At(at);
        var text = id.ToString();

        Assert.Equal('7', text[14]);
        Assert.Contains(text[19], "89ab");
        Assert.Equal(new DateTimeOffset(at).ToUnixTimeMilliseconds(), Convert.ToInt64(text[..8] + text[9..13], 16));
        Assert.Equal(7, id.Version);
    }

    [Fact]
    public void Ids_are_unique_and_sort_by_time()
    {
        var earlier = Uuid7.At(DateTime.UtcNow.AddMilliseconds(-1)).ToString(); // taken first: making the ids may take seconds on a loaded machine
        var ids = Enumerable.Range(0, 100_000).Select(_ => Uuid7.New()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.True(string.CompareOrdinal(earlier, ids[0].ToString()) < 0);
    }
}
