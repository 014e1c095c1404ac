using Microsoft.Extensions.Options;
using XRay.Gateway.Blobs;
using XRay.Gateway.Blobs.Options;
using XRay.Gateway.Blobs.S3;
using XRay.Testing;

namespace XRay.Blobs.Tests;

/// <summary>One S3 test server for the S3 tests of a class; <c>null</c> when none is available.</summary>
public sealed class S3ServerFixture : IAsyncLifetime
{
    public S3TestServer? Server { get; private set; }

    public async ValueTask InitializeAsync() => Server = await S3TestServer.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }

    /// <summary>The server, or a skip of the calling test saying how to get one.</summary>
    public S3TestServer Require()
    {
        Assert.SkipWhen(Server is null, S3TestServer.NotInstalled);
        return Server!;
    }
}

/// <summary>The contract against S3 (s3rver, or the server <c>XRAY_TEST_S3</c> names): S3 itself checks the SigV4 signatures.</summary>
public sealed class S3BlobStoreTests(S3ServerFixture fixture) : BlobStoreContractTests, IClassFixture<S3ServerFixture>, IDisposable
{
    private S3BlobStore? _store;

    protected override IBlobStore Store => _store ??= Create(fixture.Require());

    protected override DateTimeOffset Now => DateTimeOffset.UtcNow;

    protected override string SignatureParameter => "X-Amz-Signature";

    protected override string ExpiryParameter => "X-Amz-Expires";

    public void Dispose() => _store?.Dispose();

    [Fact]
    public async Task Upload_urls_sign_length_and_content_type_so_S3_enforces_them()
    {
        var upload = await Store.PresignUploadAsync(BlobRequests.NewKey(), "application/json", 1000, Now.AddMinutes(5));
        var signedHeaders = Uri.UnescapeDataString(upload.Url.Query.Split('&').Single(p => p.StartsWith("X-Amz-SignedHeaders=", StringComparison.Ordinal)));
        Assert.Contains("content-length", signedHeaders);
        Assert.Contains("content-type", signedHeaders);
        Assert.Equal("1000", upload.Headers["content-length"]);
    }

    // S3's clock cannot be faked: wait for the expiry for real.
    protected override Task LetTimePassAsync(TimeSpan span) => Task.Delay(span);

    private static S3BlobStore Create(S3TestServer server) => new(Options.Create(new BlobStoreOptions
    {
        Provider = BlobProvider.S3,
        S3 = new S3BlobStoreOptions
        {
            Bucket = server.Bucket,
            KeyPrefix = "contract/",
            ServiceUrl = server.ServiceUrl,
            ForcePathStyle = true,
            AccessKeyId = server.AccessKey,
            SecretAccessKey = server.SecretKey,
        },
    }));
}
