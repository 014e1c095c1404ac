using System.Text;
using XRay.Sdk.Http;

namespace XRay.Sdk.Tests.Unit;

/// <summary>An answer's body read to a cap, whatever its Content-Length claims.</summary>
public sealed class BoundedBodyTests
{
    [Theory]
    [InlineData(long.MaxValue)] // one byte past it overflowed to an empty buffer: nothing was read, and the body counted as complete
    [InlineData(long.MaxValue - 1)]
    [InlineData(int.MaxValue)]
    [InlineData(3)] // too short: the read goes on to the end all the same
    public async Task A_body_whose_Content_Length_lies_is_read_to_its_end_within_the_cap(long claimed)
    {
        var body = """{"accepted":2,"rejected":[]}"""u8.ToArray();
        using var content = new StreamContent(new MemoryStream(body));
        content.Headers.ContentLength = claimed;

        var (read, complete) = await BoundedBody.ReadAsync(content, 1024, TestContext.Current.CancellationToken);

        Assert.True(complete);
        Assert.Equal(Encoding.UTF8.GetString(body), Encoding.UTF8.GetString(read.Span));
    }

    [Fact]
    public async Task A_body_past_the_cap_is_cut_at_the_cap_whatever_its_Content_Length_says()
    {
        using var content = new StreamContent(new MemoryStream(new byte[10_000]));
        content.Headers.ContentLength = long.MaxValue;

        var (read, complete) = await BoundedBody.ReadAsync(content, 1024, TestContext.Current.CancellationToken);

        Assert.False(complete);
        Assert.Equal(1024, read.Length);
    }
}
