using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace XRay.Sdk;

/// <summary>Fills <see cref="XRayOptions"/> from <c>IConfiguration</c> or from <c>XRAY_*</c> environment variables.</summary>
public static class XRayOptionsReader
{
    /// <summary>
    /// Reads the options from a configuration section (such as <c>configuration.GetSection("XRay")</c>).
    /// Durations are whole milliseconds (<c>1000</c>) or <c>TimeSpan</c> strings (<c>00:00:01</c>).
    /// </summary>
    public static XRayOptions FromConfiguration(IConfiguration section)
    {
        var options = new XRayOptions();
        Bind(section, options);
        return options;
    }

    /// <summary>Applies a configuration section to existing options; keys that are absent keep their value.</summary>
    public static void Bind(IConfiguration section, XRayOptions options) => Apply(key => section[key], options);

    /// <summary>
    /// Reads <c>XRAY_API_KEY</c>, <c>XRAY_PROJECT_ID</c>, <c>XRAY_ENABLED</c>, <c>XRAY_DEBUG</c>, <c>XRAY_BASE_URL</c>,
    /// <c>XRAY_TEMP_DIR</c>, <c>XRAY_MAX_DISK_SIZE</c>, <c>XRAY_MAX_MEMORY_SIZE</c>, <c>XRAY_BATCH_INTERVAL</c> (ms),
    /// <c>XRAY_MAX_BATCH_SIZE</c> and <c>XRAY_WORKER_POOL_SIZE</c>.
    /// </summary>
    public static XRayOptions FromEnvironment()
    {
        var options = new XRayOptions();
        BindEnvironment(options);
        return options;
    }

    /// <summary>Applies the <c>XRAY_*</c> environment variables that are set to existing options.</summary>
    public static void BindEnvironment(XRayOptions options) =>
        Apply(key => Environment.GetEnvironmentVariable(EnvironmentName(key)) is { Length: > 0 } v ? v : null, options);

    // ApiKey -> XRAY_API_KEY: the usual spelling of environment variables.
    private static string EnvironmentName(string key) =>
        "XRAY_" + string.Concat(key.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : c.ToString())).ToUpperInvariant();

    // Explicit rather than ConfigurationBinder: the specification gives durations in milliseconds, which the
    // binder would read as days, and explicit reads keep the SDK free of reflection.
    private static void Apply(Func<string, string?> get, XRayOptions o)
    {
        o.ApiKey = get(nameof(o.ApiKey)) ?? o.ApiKey;
        o.ProjectId = get(nameof(o.ProjectId)) ?? o.ProjectId;
        o.Enabled = Parse(get, nameof(o.Enabled), o.Enabled, bool.Parse);
        o.Debug = Parse(get, nameof(o.Debug), o.Debug, bool.Parse);
        o.BaseUrl = get(nameof(o.BaseUrl)) ?? o.BaseUrl;
        o.TempDir = get(nameof(o.TempDir)) ?? o.TempDir;
        o.MaxDiskSize = Parse(get, nameof(o.MaxDiskSize), o.MaxDiskSize, ParseLong);
        o.MaxMemorySize = Parse(get, nameof(o.MaxMemorySize), o.MaxMemorySize, ParseLong);
        o.MaxBlobSize = Parse(get, nameof(o.MaxBlobSize), o.MaxBlobSize, ParseLong);
        o.MaxBatchSize = Parse(get, nameof(o.MaxBatchSize), o.MaxBatchSize, ParseInt);
        o.WorkerPoolSize = Parse(get, nameof(o.WorkerPoolSize), o.WorkerPoolSize, ParseInt);
        o.MaxQueueSize = Parse(get, nameof(o.MaxQueueSize), o.MaxQueueSize, ParseInt);
        o.BatchInterval = Parse(get, nameof(o.BatchInterval), o.BatchInterval, ParseDuration);
        o.RequestTimeout = Parse(get, nameof(o.RequestTimeout), o.RequestTimeout, ParseDuration);
        o.RetryBaseDelay = Parse(get, nameof(o.RetryBaseDelay), o.RetryBaseDelay, ParseDuration);
        o.RetryMaxDelay = Parse(get, nameof(o.RetryMaxDelay), o.RetryMaxDelay, ParseDuration);
        o.ShutdownTimeout = Parse(get, nameof(o.ShutdownTimeout), o.ShutdownTimeout, ParseDuration);
        o.MaxServerErrorAttempts = Parse(get, nameof(o.MaxServerErrorAttempts), o.MaxServerErrorAttempts, ParseInt);
    }

    private static T Parse<T>(Func<string, string?> get, string key, T current, Func<string, T> parse)
    {
        if (get(key) is not { } text)
        {
            return current;
        }

        try
        {
            return parse(text.Trim());
        }
        catch (FormatException)
        {
            throw new FormatException($"XRay:{key} '{text}' is not a valid {typeof(T).Name}{(typeof(T) == typeof(TimeSpan) ? " (whole milliseconds such as 1000, or 00:00:01)" : "")}.");
        }
        catch (OverflowException)
        {
            throw new FormatException($"XRay:{key} '{text}' is out of range.");
        }
    }

    private static long ParseLong(string s) => long.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static int ParseInt(string s) => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static TimeSpan ParseDuration(string s) =>
        long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
            ? TimeSpan.FromMilliseconds(ms)
            : TimeSpan.Parse(s, CultureInfo.InvariantCulture);
}
