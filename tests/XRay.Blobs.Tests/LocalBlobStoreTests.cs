using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using XRay.Gateway.Blobs;
using XRay.Gateway.Blobs.Hosting;
using XRay.Gateway.Blobs.Local;
using XRay.Testing;
using static XRay.Blobs.Tests.BlobRequests;

namespace XRay.Blobs.Tests;

/// <summary>The contract against the local store, its routes hosted in-process on a fake clock.</summary>
public sealed class LocalBlobStoreTests : BlobStoreContractTests, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly string _directory = Directory.CreateTempSubdirectory("xray-blobs-").FullName;
    private WebApplication? _app;
    private Uri? _baseUrl;

    protected override IBlobStore Store => _app!.Services.GetRequiredService<IBlobStore>();

    protected override DateTimeOffset Now => _time.GetUtcNow();

    protected override string SignatureParameter => "sig";

    protected override string ExpiryParameter => "exp";

    public async ValueTask InitializeAsync()
    {
        var port = FreePorts.Next();
        _baseUrl = new Uri($"http://127.0.0.1:{port}/");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Blobs:Local:Directory"] = _directory,
            ["Blobs:Local:SigningKey"] = Convert.ToBase64String(RandomBytes(32)),
            ["Blobs:Local:PublicBaseUrl"] = $"http://127.0.0.1:{port}",
            ["Blobs:MaxBlobBytes"] = "2000000",
        });
        builder.Services.AddSingleton<TimeProvider>(_time);
        builder.Services.AddXRayBlobs();
        _app = builder.Build();
        _app.MapLocalBlobRoutes();
        await _app.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    protected override Task LetTimePassAsync(TimeSpan span)
    {
        _time.Advance(span);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_url_signed_for_more_than_the_limit_is_refused_at_upload()
    {
        var key = NewKey();
        var upload = await Store.PresignUploadAsync(key, "application/octet-stream", 2_000_001, Now.AddMinutes(5));
        using var put = await PutAsync(upload, RandomBytes(10));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, put.StatusCode);
        Assert.Null(await Store.GetSizeAsync(key));
    }

    [Fact]
    public async Task A_refused_upload_leaves_no_file_behind()
    {
        var key = NewKey();
        var upload = await Store.PresignUploadAsync(key, "application/octet-stream", 1000, Now.AddMinutes(5));
        using (var tooLong = await PutAsync(upload, RandomBytes(5000)))
        using (var tooShort = await PutAsync(upload, RandomBytes(10)))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLong.StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, tooShort.StatusCode);
        }

        Assert.Empty(Directory.EnumerateFiles(_directory, "*", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("blobs/..%2F..%2Fetc/passwd")]
    [InlineData("blobs/../../etc/passwd")]
    [InlineData("blobs/not-a-key")]
    public async Task Paths_that_are_not_blob_keys_are_refused(string path)
    {
        var url = new Uri(_baseUrl!, path + "?exp=9999999999&ct=text%2Fplain&sig=AAAA");
        using var get = await Http.GetAsync(url);
        Assert.True(get.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound, $"{path} answered {get.StatusCode}");
    }
}
