using Microsoft.Extensions.Logging;

namespace XRay.Sdk.Diagnostics;

/// <summary>Every message the SDK logs. Debug-level ones are only produced when <see cref="XRayOptions.Debug"/> is on.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "X-Ray tracer started: gateway {BaseUrl}, spool {SpoolKind} at {SpoolPath}, {Pending} entries left by an earlier run.")]
    public static partial void Started(ILogger logger, string baseUrl, string spoolKind, string spoolPath, int pending);

    [LoggerMessage(2, LogLevel.Warning, "X-Ray cannot write its spool directory {Path}; spooling in memory instead.")]
    public static partial void DiskUnwritable(ILogger logger, string path, Exception exception);

    [LoggerMessage(3, LogLevel.Debug, "X-Ray sent batch {Key}: {Accepted} accepted, {Rejected} rejected.")]
    public static partial void BatchSent(ILogger logger, string key, int accepted, int rejected);

    [LoggerMessage(4, LogLevel.Warning, "X-Ray gateway rejected event {EventId}: {Reason}")]
    public static partial void EventRejected(ILogger logger, string? eventId, string? reason);

    [LoggerMessage(5, LogLevel.Warning, "X-Ray gateway refused {Key} with {Status}; it is dropped: {Detail}")]
    public static partial void Refused(ILogger logger, string key, int status, string? detail);

    [LoggerMessage(6, LogLevel.Debug, "X-Ray attempt {Attempt} for {Key} failed ({Reason}); retrying in {Delay}.")]
    public static partial void Retrying(ILogger logger, int attempt, string key, string reason, TimeSpan delay);

    [LoggerMessage(7, LogLevel.Warning, "X-Ray dropped {Count} event(s): {Reason}")]
    public static partial void Dropped(ILogger logger, long count, string reason);

    [LoggerMessage(8, LogLevel.Debug, "X-Ray uploaded data blob {DataId} ({Size} bytes).")]
    public static partial void BlobSent(ILogger logger, string dataId, int size);

    [LoggerMessage(9, LogLevel.Warning, "X-Ray could not serialize {What}; it is dropped.")]
    public static partial void SerializationFailed(ILogger logger, string what, Exception exception);

    [LoggerMessage(10, LogLevel.Debug, "X-Ray API key checked: project {ProjectId}, key {KeyId}.")]
    public static partial void KeyChecked(ILogger logger, string? projectId, string? keyId);

    [LoggerMessage(11, LogLevel.Warning, "X-Ray API key check failed: {Detail}")]
    public static partial void KeyCheckFailed(ILogger logger, string detail);

    [LoggerMessage(12, LogLevel.Warning, "X-Ray spool error on {Key}.")]
    public static partial void SpoolError(ILogger logger, string key, Exception exception);

    [LoggerMessage(13, LogLevel.Debug, "X-Ray flush finished: {Complete}, {Pending} spool entries left.")]
    public static partial void Flushed(ILogger logger, bool complete, int pending);

    [LoggerMessage(14, LogLevel.Error, "X-Ray background loop failed unexpectedly; it restarts.")]
    public static partial void LoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(15, LogLevel.Warning, "X-Ray dropped data blob {Key}: {Reason}")]
    public static partial void BlobDropped(ILogger logger, string key, string reason);

    [LoggerMessage(16, LogLevel.Warning, "X-Ray gateway takes at most {Limit} events per batch; larger batches are split to fit (a MaxBatchSize of at most {Limit} saves the extra work).")]
    public static partial void EventLimitLearned(ILogger logger, int limit);

    [LoggerMessage(17, LogLevel.Warning, "X-Ray gateway takes a batch body of at most {Limit} bytes; larger batches are split to fit.")]
    public static partial void BodyLimitLearned(ILogger logger, long limit);

    [LoggerMessage(18, LogLevel.Debug, "X-Ray split batch {Key} of {Count} events into {Parts} batches: {Reason}.")]
    public static partial void Split(ILogger logger, string key, int count, int parts, string reason);

    [LoggerMessage(19, LogLevel.Warning, "X-Ray shutdown stopped waiting for {Component} ({Detail}) when its {Budget} budget ran out; it ends on its own in the background. An event finished later is spooled for the next process (counted as dropped if the spool is in memory); an entry being sent stays spooled unless it is delivered.")]
    public static partial void ShutdownGaveUp(ILogger logger, string component, string detail, TimeSpan budget);

    [LoggerMessage(20, LogLevel.Warning, "X-Ray gave up on {Key}: the server failed on it {Attempts} times, last with {Status}; it is dropped so the entries behind it are sent (XRay:MaxServerErrorAttempts): {Detail}")]
    public static partial void GaveUp(ILogger logger, string key, int attempts, int status, string? detail);

    [LoggerMessage(21, LogLevel.Debug, "X-Ray flush finished: False, the spool at {Path} is still opening (a slow or hung disk); what was recorded waits for it.")]
    public static partial void FlushedBeforeOpen(ILogger logger, string path);

    [LoggerMessage(22, LogLevel.Warning, "X-Ray blob store refused the upload of {Key} {Attempts} times, each to a fresh URL, last with {Status}; it is dropped: {Detail}")]
    public static partial void UploadRefused(ILogger logger, string key, int attempts, int status, string? detail);
}
