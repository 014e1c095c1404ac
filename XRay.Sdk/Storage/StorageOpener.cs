using Microsoft.Extensions.Logging;

namespace XRay.Sdk.Storage;

/// <summary>
/// Opens the spool (<see cref="StorageFactory.Open"/>); run on the thread pool by <see cref="OpeningStorage"/>. Tests hand
/// in their own to hold the open back. It must not throw: it falls back to memory instead.
/// </summary>
internal delegate IStorageAdapter StorageOpener(XRayOptions options, Action<string> evicted, ILogger logger);
