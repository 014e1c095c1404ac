using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using XRay.Sdk.Tests.Fakes;

namespace XRay.Sdk.Tests.Http;

/// <summary>
/// Answers no retry can fix (a presign without a usable URL): the entry must not be retried every second forever,
/// stalling every entry queued behind it.
/// </summary>
public sealed class MalformedAnswerTests : IAsyncLifetime
{
    private FakeGateway _gateway = null!;

    public async ValueTask InitializeAsync() => _gateway = await FakeGateway.StartAsync();

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task A_presign_answer_without_a_usable_url_is_counted_and_does_not_stall_the_blobs_behind_it()
    {
        var handler = new BadPresignFor { InnerHandler = new SocketsHttpHandler() };
        await using var tracer = new XRayTracer(TestTracers.Options(_gateway.BaseAddress), NullLoggerFactory.Instance, TimeProvider.System, handler);
        var trace = tracer.CreateTrace("run");
        trace.DataText("bad: its presign is answered with a relative URL");
        var good = trace.DataId(new { good = true });

        await tracer.FlushAsync(TimeSpan.FromSeconds(10));

        Assert.True(_gateway.Blobs.ContainsKey(good.ToString()), "the blob behind the bad one was never sent");
        Assert.Equal(1, tracer.Stats.BlobsDropped);
        Assert.True(handler.Presigns <= 2, $"{handler.Presigns} presign attempts for an answer no retry can fix");
    }

    /// <summary>Answers the presign of text blobs with a relative URL, as a misconfigured gateway or proxy might.</summary>
    private sealed class BadPresignFor : DelegatingHandler
    {
        public int Presigns;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath.EndsWith("/presign", StringComparison.Ordinal)
                && (await request.Content!.ReadAsStringAsync(cancellationToken)).Contains("text/plain", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref Presigns);
                return new HttpResponseMessage(HttpStatusCode.OK)
                {
                    Content = new StringContent($$"""{"url":"blobs/relative","method":"PUT"}""", Encoding.UTF8, "application/json"),
                };
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }
}
