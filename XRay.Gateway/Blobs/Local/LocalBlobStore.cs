using System.Buffers;
using System.Globalization;
using Microsoft.Extensions.Options;
using XRay.Gateway.Blobs.Options;
using XRay.Grains.Storage;

namespace XRay.Gateway.Blobs.Local;

/// <summary>
/// Blobs as files under <see cref="LocalBlobStoreOptions.Directory"/>, one per key. The gateway serves
/// the signed URLs itself (<see cref="LocalBlobEndpoints"/>); uploads stream to a temporary file that is
/// renamed into place only when complete, so a reader never sees half a blob.
/// </summary>
public sealed class LocalBlobStore(LocalUrlSigner signer, IOptions<BlobStoreOptions> options) : IBlobStore
{
    /// <summary>Path of the routes that serve signed URLs.</summary>
    public const string RoutePrefix = "blobs";

    private readonly string _root = Path.GetFullPath(options.Value.Local.Directory ?? throw new InvalidOperationException("Blobs:Local:Directory is not set."));
    // A trailing slash makes relative URLs resolve below the base's path rather than beside it.
    private readonly Uri? _publicBaseUrl = options.Value.Local.PublicBaseUrl is { } url ? new Uri(url.ToString().TrimEnd('/') + "/") : null;

    /// <summary>The signer shared with the routes that check the URLs.</summary>
    public LocalUrlSigner Signer => signer;

    /// <summary>Creates a blob's directory and makes each new entry durable; a seam for tests, which cannot pull the power.</summary>
    internal Action<string> CreateDirectory { get; init; } = DirectorySync.Create;

    /// <summary>Makes a directory's entries durable; a seam for tests, which cannot pull the power.</summary>
    internal Action<string> FlushDirectory { get; init; } = DirectorySync.Flush;

    public ValueTask<PresignedRequest> PresignUploadAsync(BlobKey key, string contentType, long size, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        var exp = expiresAt.ToUnixTimeSeconds();
        var sig = signer.Sign("PUT", key.Value, exp, size, contentType);
        var query = $"exp={exp}&max={size.ToString(CultureInfo.InvariantCulture)}&ct={Uri.EscapeDataString(contentType)}&sig={sig}";
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["content-type"] = contentType };
        return ValueTask.FromResult(new PresignedRequest(UrlOf(key, query), "PUT", headers, DateTimeOffset.FromUnixTimeSeconds(exp)));
    }

    public ValueTask<PresignedRequest> PresignDownloadAsync(BlobKey key, string contentType, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        var exp = expiresAt.ToUnixTimeSeconds();
        var sig = signer.Sign("GET", key.Value, exp, null, contentType);
        var query = $"exp={exp}&ct={Uri.EscapeDataString(contentType)}&sig={sig}";
        return ValueTask.FromResult(new PresignedRequest(UrlOf(key, query), "GET", new Dictionary<string, string>(), DateTimeOffset.FromUnixTimeSeconds(exp)));
    }

    public ValueTask<long?> GetSizeAsync(BlobKey key, CancellationToken cancellationToken = default)
    {
        var file = new FileInfo(PathOf(key));
        return ValueTask.FromResult<long?>(file.Exists ? file.Length : null);
    }

    /// <summary>The file holding a blob. Safe: a <see cref="BlobKey"/> holds only hex digits, dashes and two slashes.</summary>
    public string PathOf(BlobKey key) => Path.Combine(_root, key.ProjectId, key.TraceId, key.DataId);

    /// <summary>
    /// Opens a blob's file for reading, or <c>null</c> when there is none. Shared for deletes: a blob deleted while it
    /// is served keeps its bytes until the reader closes it.
    /// </summary>
    public FileStream? OpenRead(BlobKey key)
    {
        try
        {
            // No buffer of its own: the response copies through its own, in chunks, never the whole blob.
            return new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Streams <paramref name="body"/> to the blob's file, never holding more than one buffer in memory.
    /// Nothing is stored unless the body is exactly <paramref name="size"/> bytes.
    /// </summary>
    public async Task<UploadOutcome> WriteAsync(BlobKey key, Stream body, long size, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        var directory = Path.GetDirectoryName(path)!;
        CreateDirectory(directory); // a new project's or trace's directory must outlive a power loss, or its blobs go with it
        var temp = Path.Combine(directory, $".{key.DataId}.{Guid.NewGuid():N}.tmp");
        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            long written = 0;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    written += read;
                    if (written > size)
                    {
                        return UploadOutcome.TooLarge;
                    }

                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }

                if (written < size)
                {
                    return UploadOutcome.TooShort;
                }

                file.Flush(flushToDisk: true); // the rename below publishes the blob; its bytes must be on disk first
            }

            File.Move(temp, path, overwrite: true);
            FlushDirectory(directory); // the 201 promises the blob: its name, not only its bytes, must survive a power loss
            return UploadOutcome.Stored;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            File.Delete(temp); // no-op after the rename; removes partial uploads otherwise
        }
    }

    private Uri UrlOf(BlobKey key, string query)
    {
        var relative = new Uri($"{RoutePrefix}/{key.Value}?{query}", UriKind.Relative);
        return _publicBaseUrl is null ? relative : new Uri(_publicBaseUrl, relative);
    }
}

/// <summary>What became of an upload to the local store.</summary>
public enum UploadOutcome
{
    /// <summary>The blob is stored.</summary>
    Stored,

    /// <summary>The body was longer than signed; nothing is stored.</summary>
    TooLarge,

    /// <summary>The body ended before the signed size; nothing is stored.</summary>
    TooShort,
}
