using Microsoft.Extensions.Logging;
using XRay.Sdk.Diagnostics;
using XRay.Sdk.Storage;

namespace XRay.Sdk.Uploading;

/// <summary>Counts a spool entry that will never be delivered: a batch by its events, a blob as one blob.</summary>
internal static class LostEntries
{
    public static void Count(string key, string reason, Counters counters, ILogger logger)
    {
        if (SpoolKey.TryParseBatch(key, out var events))
        {
            counters.EventsDropped(events);
            Log.Dropped(logger, events, reason);
        }
        else
        {
            counters.BlobDropped();
            Log.BlobDropped(logger, key, reason);
        }
    }
}
