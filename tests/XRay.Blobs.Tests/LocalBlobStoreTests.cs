using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using XRay.Gateway.Blobs;
using XRay.Gateway.Blobs.Hosting;
using XRay.Gateway.Blobs.Local;
using XRay.Gateway.Blobs.Options;
using XRay.Grains.Storage;
using XRay.Testing;
using static XRay.Blobs.Tests.BlobRequests;

namespace XRay.Blobs.Tests;

/// <summary>The contract against the local store, its routes hosted in-process on a fake clock.</summary>
public sealed class LocalBlobStoreTests : BlobStoreContractTests, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly string _directory = Directory.CreateTempSubdirectory("xray-blobs-").FullName;
    private readonly ConcurrentQueue<string> _created = new();
    private readonly ConcurrentQueue<(string Directory, string[] Files)> _flushed = new();
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
        // The real directory syncs, recorded: a test cannot pull the power, but it can see that an upload asks for them.
        builder.Services.AddSingleton(sp => new LocalBlobStore(sp.GetRequiredService<LocalUrlSigner>(), sp.GetRequiredService<IOptions<BlobStoreOptions>>())
        {
            CreateDirectory = directory =>
            {
                DirectorySync.Create(directory);
                _created.Enqueue(directory);
            },
            FlushDirectory = directory =>
            {
                DirectorySync.Flush(directory);
                _flushed.Enqueue((directory, Directory.GetFiles(directory).Select(f => Path.GetFileName(f)).ToArray()));
            },
        });
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

    [Fact]
    public async Task A_blob_whose_file_is_gone_answers_the_not_found_problem()
    {
        var key = NewKey();
        var download = await UploadAsync(key, RandomBytes(1000));
        var path = Path.Combine(_directory, key.ProjectId, key.TraceId, key.DataId);
        File.Delete(path); // behind the server's back, as a retention job or an operator would

        using (var deleted = await Http.GetAsync(download))
        {
            await AssertNotFoundProblemAsync(deleted);
        }

        // What a delete between a check for the file and its opening leaves: a name that is there when looked at and
        // no file when opened. A dangling link stands for that moment, which a real delete cannot be timed to hit.
        File.CreateSymbolicLink(path, path + ".deleted");
        using var raced = await Http.GetAsync(download);
        await AssertNotFoundProblemAsync(raced);
    }

    [Fact]
    public async Task A_download_serves_ranges_and_never_as_a_page()
    {
        var bytes = RandomBytes(5000);
        var download = await UploadAsync(NewKey(), bytes);

        using var request = new HttpRequestMessage(HttpMethod.Get, download);
        request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(1000, 1999);
        using var ranged = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, ranged.StatusCode);
        Assert.Equal(bytes[1000..2000], await ranged.Content.ReadAsByteArrayAsync());
        Assert.Equal(5000, ranged.Content.Headers.ContentRange?.Length);
        Assert.NotNull(ranged.Content.Headers.LastModified);
        Assert.Equal("attachment", ranged.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal(["nosniff"], ranged.Headers.GetValues("X-Content-Type-Options"));
    }

    [Fact]
    public async Task An_upload_syncs_its_new_directories_and_the_renamed_blobs_directory_before_it_is_answered()
    {
        var key = NewKey();
        await UploadAsync(key, RandomBytes(1000));

        // Answered 201 only after the directory holding the blob's name (renamed into place) was synced, and the
        // trace's directory was made through the sync that keeps each new entry (project, trace) durable.
        var directory = Path.Combine(_directory, key.ProjectId, key.TraceId);
        Assert.Contains(directory, _created);
        Assert.True(Directory.Exists(directory));
        Assert.Contains(_flushed, flush => flush.Directory == directory && flush.Files.Contains(key.DataId));
    }

    /// <summary>Uploads <paramref name="bytes"/> under <paramref name="key"/>; answers a download URL for them.</summary>
    private async Task<Uri> UploadAsync(BlobKey key, byte[] bytes)
    {
        var upload = await Store.PresignUploadAsync(key, "application/octet-stream", bytes.Length, Now.AddMinutes(5));
        using (var put = await PutAsync(upload, bytes))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        return (await Store.PresignDownloadAsync(key, "application/octet-stream", Now.AddMinutes(5))).Url;
    }

    private static async Task AssertNotFoundProblemAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Blob not found", text, StringComparison.Ordinal);
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
