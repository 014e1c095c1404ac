using Microsoft.Extensions.Options;

namespace XRay.Sdk;

/// <summary>Checks <see cref="XRayOptions"/> and explains, per setting, what is wrong.</summary>
public sealed class XRayOptionsValidator : IValidateOptions<XRayOptions>
{
    private const int MaxQueueSize = 1 << 20;

    private static readonly System.Buffers.SearchValues<char> LowerHexDigits = System.Buffers.SearchValues.Create("0123456789abcdef");

    private static readonly TimeSpan MinRequestTimeout = TimeSpan.FromMilliseconds(10);

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, XRayOptions options)
    {
        var failures = Failures(options).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> listing every invalid setting.</summary>
    public static void ThrowIfInvalid(XRayOptions options)
    {
        var result = new XRayOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(XRayOptions), result.Failures);
        }
    }

    private static IEnumerable<string> Failures(XRayOptions o)
    {
        if (!o.Enabled)
        {
            yield break; // a disabled tracer sends nothing, so it needs no key
        }

        if (string.IsNullOrWhiteSpace(o.ApiKey))
        {
            yield return $"XRay:{nameof(o.ApiKey)} is required (the project API key, set it in code, in configuration or with XRAY_API_KEY).";
        }

        if (string.IsNullOrWhiteSpace(o.ProjectId))
        {
            yield return $"XRay:{nameof(o.ProjectId)} is required (the id of the project the API key belongs to; XRAY_PROJECT_ID).";
        }
        else if (o.ProjectId.Length != 24 || o.ProjectId.AsSpan().ContainsAnyExcept(LowerHexDigits))
        {
            // Trace ids are {ProjectId}-{uuid}, and the gateway rejects every event whose trace id does not start with its
            // key's project id: a wrong one would lose every event, one rejection at a time.
            yield return $"XRay:{nameof(o.ProjectId)} '{o.ProjectId}' must be the project's id as the API gives it: 24 lowercase hex digits.";
        }

        if (!Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            yield return $"XRay:{nameof(o.BaseUrl)} '{o.BaseUrl}' must be an absolute http or https URL, such as http://localhost:3000.";
        }

        foreach (var failure in Positive(o.MaxDiskSize, nameof(o.MaxDiskSize))
            .Concat(Positive(o.MaxMemorySize, nameof(o.MaxMemorySize)))
            .Concat(Positive(o.MaxBlobSize, nameof(o.MaxBlobSize)))
            .Concat(Positive(o.MaxBatchSize, nameof(o.MaxBatchSize)))
            .Concat(Positive(o.WorkerPoolSize, nameof(o.WorkerPoolSize)))
            .Concat(Positive(o.MaxQueueSize, nameof(o.MaxQueueSize)))
            .Concat(Positive(o.BatchInterval, nameof(o.BatchInterval)))
            .Concat(Positive(o.RequestTimeout, nameof(o.RequestTimeout)))
            .Concat(Positive(o.RetryBaseDelay, nameof(o.RetryBaseDelay)))
            .Concat(Positive(o.ShutdownTimeout, nameof(o.ShutdownTimeout)))
            .Concat(Positive(o.MaxServerErrorAttempts, nameof(o.MaxServerErrorAttempts))))
        {
            yield return failure;
        }

        if (o.MaxBatchSize > 1000)
        {
            yield return $"XRay:{nameof(o.MaxBatchSize)} must be at most 1000 (the gateway's batch limit), got {o.MaxBatchSize}.";
        }

        // a blob is serialized into one array
        if (o.MaxBlobSize > Array.MaxLength)
        {
            yield return $"XRay:{nameof(o.MaxBlobSize)} must be at most {Array.MaxLength}, got {o.MaxBlobSize}.";
        }

        if (o.WorkerPoolSize > 64)
        {
            yield return $"XRay:{nameof(o.WorkerPoolSize)} must be at most 64, got {o.WorkerPoolSize}.";
        }

        // the queue's ring is allocated whole at start (16 bytes a slot, rounded up to a power of two)
        if (o.MaxQueueSize > MaxQueueSize)
        {
            yield return $"XRay:{nameof(o.MaxQueueSize)} must be at most {MaxQueueSize}, got {o.MaxQueueSize}.";
        }

        // what the retry pipeline (Polly) accepts for an attempt's timeout and its delays, and what a timer takes
        if (o.RequestTimeout > TimeSpan.Zero && o.RequestTimeout < MinRequestTimeout)
        {
            yield return $"XRay:{nameof(o.RequestTimeout)} must be at least {MinRequestTimeout.TotalMilliseconds} ms, got {o.RequestTimeout}.";
        }

        foreach (var failure in AtMostADay(o.RequestTimeout, nameof(o.RequestTimeout))
            .Concat(AtMostADay(o.RetryBaseDelay, nameof(o.RetryBaseDelay)))
            .Concat(AtMostADay(o.RetryMaxDelay, nameof(o.RetryMaxDelay)))
            .Concat(AtMostADay(o.BatchInterval, nameof(o.BatchInterval))))
        {
            yield return failure;
        }

        if (o.RetryMaxDelay < o.RetryBaseDelay)
        {
            yield return $"XRay:{nameof(o.RetryMaxDelay)} ({o.RetryMaxDelay}) must not be shorter than {nameof(o.RetryBaseDelay)} ({o.RetryBaseDelay}).";
        }
    }

    private static IEnumerable<string> Positive(long value, string name)
    {
        if (value <= 0)
        {
            yield return $"XRay:{name} must be greater than zero, got {value}.";
        }
    }

    private static IEnumerable<string> AtMostADay(TimeSpan value, string name)
    {
        if (value > TimeSpan.FromDays(1))
        {
            yield return $"XRay:{name} must be at most a day, got {value}.";
        }
    }

    private static IEnumerable<string> Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            yield return $"XRay:{name} must be a positive duration, got {value}.";
        }
    }
}
