using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using XRay.Sdk.Diagnostics;
using XRay.Sdk.Http;
using XRay.Sdk.Storage;

namespace XRay.Sdk.Uploading;

/// <summary>
/// Data blobs: serialized bytes → spool → presign → upload to the signed URL → delete. Presign and upload
/// form one attempt, so an upload that fails, or that the store refuses (a URL that expired), is retried with a fresh URL.
/// </summary>
internal sealed class DataUploader(IStorageAdapter storage, ApiClient api, DeliveryPolicy policy, Counters counters, ILogger logger)
    : UploadLoop(storage, SpoolKey.BlobPrefix, logger)
{
    public void Spool(Guid dataId, BlobContent content, string traceId, byte[] data) =>
        Spool(SpoolKey.Blob(dataId, content, traceId), data);

    protected override void CountDropped(string key, string reason) => LostEntries.Count(key, reason, counters, Logger);

    protected override async Task SendAsync(string key, byte[] data, CancellationToken cancellationToken)
    {
        if (!SpoolKey.TryParseBlob(key, out var dataId, out var content, out var traceId))
        {
            CountDropped(key, "unrecognized spool entry");
            return;
        }

        var presign = new PresignRequest(traceId, dataId.ToString(), content.MediaType(), data.Length, Convert.ToHexStringLower(SHA256.HashData(data)));
        var delivery = await policy.ExecuteAsync(key, data.Length, async ct =>
        {
            var signed = await api.PresignAsync(presign, ct).ConfigureAwait(false);
            return signed.Presign is { } target
                ? await api.UploadAsync(target, data, content.MediaType(), ct).ConfigureAwait(false)
                : signed;
        }, cancellationToken).ConfigureAwait(false);

        if (delivery.Outcome != DeliveryOutcome.Delivered)
        {
            DropUndelivered(key, delivery);
            return;
        }

        counters.BlobSent();
        Log.BlobSent(Logger, dataId.ToString(), data.Length);
    }
}
