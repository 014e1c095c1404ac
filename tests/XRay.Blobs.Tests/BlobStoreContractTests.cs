using System.Net;
using XRay.Gateway.Blobs;
using static XRay.Blobs.Tests.BlobRequests;

namespace XRay.Blobs.Tests;

/// <summary>
/// What every blob store must do, run against each implementation. Refusals are 403 (signature,
/// expiry, method, object) or 413 (oversize, local store only: S3 answers 403 for a body whose length
/// differs from the signed Content-Length), and a refused upload stores nothing.
/// </summary>
public abstract class BlobStoreContractTests
{
    private const string ContentType = "application/json";

    /// <summary>The store under test; skips the test when its server is not available.</summary>
    protected abstract IBlobStore Store { get; }

    /// <summary>The clock the store's server checks expiry against.</summary>
    protected abstract DateTimeOffset Now { get; }

    /// <summary>The query parameter holding the signature.</summary>
    protected abstract string SignatureParameter { get; }

    /// <summary>A signed query parameter bounding the URL's validity.</summary>
    protected abstract string ExpiryParameter { get; }

    /// <summary>Moves the server's clock past an expiry.</summary>
    protected abstract Task LetTimePassAsync(TimeSpan span);

    [Fact]
    public async Task Uploaded_bytes_come_back_identical_with_their_content_type()
    {
        var store = Store;
        var key = NewKey();
        var bytes = RandomBytes((1024 * 1024) + 123);
        Assert.Null(await store.GetSizeAsync(key));

        var upload = await store.PresignUploadAsync(key, ContentType, bytes.Length, Now.AddMinutes(5));
        Assert.Equal("PUT", upload.Method);
        using (var put = await PutAsync(upload, bytes))
        {
            Assert.True(put.IsSuccessStatusCode, $"PUT answered {put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
        }

        Assert.Equal(bytes.Length, await store.GetSizeAsync(key));
        var download = await store.PresignDownloadAsync(key, ContentType, Now.AddMinutes(5));
        Assert.Equal("GET", download.Method);
        using var get = await Http.GetAsync(download.Url);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(ContentType, get.Content.Headers.ContentType?.MediaType);
        Assert.Equal(bytes, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_tampered_signature_or_expiry_is_refused()
    {
        var store = Store;
        var key = NewKey();
        var bytes = RandomBytes(1000);
        var upload = await store.PresignUploadAsync(key, ContentType, bytes.Length, Now.AddMinutes(5));

        using (var badSignature = await PutAsync(WithParameter(upload.Url, SignatureParameter, FlipFirst), upload.Headers, new ByteArrayContent(bytes)))
        using (var laterExpiry = await PutAsync(WithParameter(upload.Url, ExpiryParameter, v => v + "0"), upload.Headers, new ByteArrayContent(bytes)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, badSignature.StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, laterExpiry.StatusCode);
        }

        Assert.Null(await store.GetSizeAsync(key));
        await UploadAsync(store, key, bytes);
        var download = await store.PresignDownloadAsync(key, ContentType, Now.AddMinutes(5));
        using var badDownload = await Http.GetAsync(WithParameter(download.Url, SignatureParameter, FlipFirst));
        Assert.Equal(HttpStatusCode.Forbidden, badDownload.StatusCode);
    }

    [Fact]
    public async Task An_expired_url_is_refused()
    {
        var store = Store;
        var key = NewKey();
        var bytes = RandomBytes(1000);
        var upload = await store.PresignUploadAsync(key, ContentType, bytes.Length, Now.AddSeconds(2));
        var other = NewKey(); // already uploaded, so the download URL has something to refuse
        await UploadAsync(store, other, bytes);
        var download = await store.PresignDownloadAsync(other, ContentType, Now.AddSeconds(2));

        await LetTimePassAsync(TimeSpan.FromSeconds(3));
        using var put = await PutAsync(upload, bytes);
        using var get = await Http.GetAsync(download.Url);
        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, get.StatusCode);
        Assert.Null(await store.GetSizeAsync(key));
    }

    [Fact]
    public async Task A_url_used_with_another_method_is_refused()
    {
        var store = Store;
        var key = NewKey();
        var bytes = RandomBytes(1000);
        var upload = await UploadAsync(store, key, bytes);
        var download = await store.PresignDownloadAsync(key, ContentType, Now.AddMinutes(5));

        using var getWithUploadUrl = await Http.GetAsync(upload.Url);
        using var putWithDownloadUrl = await PutAsync(download.Url, upload.Headers, new ByteArrayContent(RandomBytes(1000)));
        Assert.Equal(HttpStatusCode.Forbidden, getWithUploadUrl.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, putWithDownloadUrl.StatusCode);
        using var get = await Http.GetAsync(download.Url);
        Assert.Equal(bytes, await get.Content.ReadAsByteArrayAsync()); // unchanged
    }

    [Fact]
    public async Task A_url_pointed_at_another_object_is_refused()
    {
        var store = Store;
        var key = NewKey();
        var bytes = RandomBytes(1000);
        var upload = await store.PresignUploadAsync(key, ContentType, bytes.Length, Now.AddMinutes(5));
        var elsewhere = WithOtherObject(upload.Url, key);

        using var put = await PutAsync(elsewhere, upload.Headers, new ByteArrayContent(bytes));
        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        Assert.Null(await store.GetSizeAsync(key));

        await UploadAsync(store, key, bytes);
        var download = await store.PresignDownloadAsync(key, ContentType, Now.AddMinutes(5));
        using var get = await Http.GetAsync(WithOtherObject(download.Url, key));
        Assert.Equal(HttpStatusCode.Forbidden, get.StatusCode);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public async Task A_body_of_another_size_than_signed_is_refused_and_not_stored(int difference)
    {
        var store = Store;
        var key = NewKey();
        var upload = await store.PresignUploadAsync(key, ContentType, 1000, Now.AddMinutes(5));

        using var put = await PutAsync(upload, RandomBytes(1000 + difference));
        Assert.True(put.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.BadRequest,
            $"a body of {1000 + difference} bytes for 1000 signed answered {put.StatusCode}");
        Assert.Null(await store.GetSizeAsync(key));
    }

    [Fact]
    public async Task An_upload_with_another_content_type_is_refused()
    {
        var store = Store;
        var key = NewKey();
        var bytes = RandomBytes(1000);
        var upload = await store.PresignUploadAsync(key, ContentType, bytes.Length, Now.AddMinutes(5));
        var headers = new Dictionary<string, string>(upload.Headers, StringComparer.OrdinalIgnoreCase) { ["content-type"] = "text/html" };

        using var put = await PutAsync(upload.Url, headers, new ByteArrayContent(bytes));
        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        Assert.Null(await store.GetSizeAsync(key));
    }

    private async Task<PresignedRequest> UploadAsync(IBlobStore store, BlobKey key, byte[] bytes)
    {
        var upload = await store.PresignUploadAsync(key, ContentType, bytes.Length, Now.AddMinutes(5));
        using var put = await PutAsync(upload, bytes);
        Assert.True(put.IsSuccessStatusCode, $"PUT answered {put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
        return upload;
    }
}
