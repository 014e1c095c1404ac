using System.Text.Json;

namespace XRay.Sdk;

/// <summary>
/// Settings of an <see cref="XRayTracer"/>. Only <see cref="ApiKey"/> and <see cref="ProjectId"/> are
/// required; every other setting has the default of the X-Ray specification.
/// </summary>
public sealed class XRayOptions
{
    /// <summary>The name of the configuration section read by <c>AddXRay</c>: <c>XRay</c>.</summary>
    public const string SectionName = "XRay";

    /// <summary>The project API key (<c>xray_...</c>), sent as <c>x-api-key</c>. Required when enabled.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The project id the key belongs to; trace ids are <c>{ProjectId}-{uuid}</c>. Required when enabled.</summary>
    public string? ProjectId { get; set; }

    /// <summary>When <see langword="false"/> the tracer records nothing and sends nothing. Default <see langword="true"/>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>When <see langword="true"/> the tracer logs what it does through <c>ILogger</c> and checks the key at start. Default <see langword="false"/>.</summary>
    public bool Debug { get; set; }

    /// <summary>The X-Ray gateway. Default <c>http://localhost:3000</c>.</summary>
    public string BaseUrl { get; set; } = "http://localhost:3000";

    /// <summary>
    /// The directory where batches and data blobs wait until they are sent. Default <see langword="null"/>:
    /// <c>{system temp}/xray-sdk/{ProjectId}</c>. When it cannot be written, the tracer spools in memory. Tracers of
    /// different projects may share one: file names start with the project id, and each sends only its own project's.
    /// </summary>
    public string? TempDir { get; set; }

    /// <summary>Bytes the spool may take on disk before the oldest entries are dropped. Default 500 MB.</summary>
    public long MaxDiskSize { get; set; } = 500L * 1024 * 1024;

    /// <summary>Bytes the spool may take in memory (when the disk is not writable). Default 50 MB.</summary>
    public long MaxMemorySize { get; set; } = 50L * 1024 * 1024;

    /// <summary>
    /// Bytes a data blob may take; a larger one is dropped and counted, and a value given to <c>DataId</c> stops being
    /// serialized as soon as it passes this. Default 100 MiB, the gateway's default <c>Blobs:MaxBlobBytes</c>.
    /// </summary>
    public long MaxBlobSize { get; set; } = DefaultMaxBlobSize;

    /// <summary>How long an event may wait before its batch is sent. Default 1 second.</summary>
    public TimeSpan BatchInterval { get; set; } = TimeSpan.FromMilliseconds(1000);

    /// <summary>A batch is sent as soon as it holds this many events. Default 50.</summary>
    public int MaxBatchSize { get; set; } = 50;

    /// <summary>Background workers that serialize events and data off the caller's thread. Default 2.</summary>
    public int WorkerPoolSize { get; set; } = 2;

    /// <summary>
    /// Events and data blobs that may wait for a worker. When the queue is full new ones are dropped
    /// and counted, so the caller never waits. Default 8192.
    /// </summary>
    public int MaxQueueSize { get; set; } = 8192;

    /// <summary>How long one HTTP attempt may take before it is abandoned and retried. Default 10 seconds.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First delay between retries; it doubles (with jitter) up to <see cref="RetryMaxDelay"/>. Default 1 second.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between retries, unless the server asks for longer with <c>Retry-After</c>. Default 30 seconds.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many times an entry may be answered with a server error (500, 501, 505, ...) before it is given up: dropped
    /// and counted, so that a batch the server fails on every time does not hold back every entry behind it. Answers that
    /// say the server is unavailable or overloaded (408, 429, 502, 503, 504, a CDN's 52x, timeouts, network errors) do not count: they
    /// are retried until the entry is delivered or the tracer stops. Default 8: about two minutes with the default backoff.
    /// </summary>
    public int MaxServerErrorAttempts { get; set; } = 8;

    /// <summary>How long disposing the tracer may spend sending what is still queued. Default 5 seconds.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How step fields and data blobs are serialized. Default: <see cref="JsonSerializerDefaults.Web"/>
    /// (camelCase). Objects are serialized later, on a worker: see the README on mutable objects.
    /// </summary>
    public JsonSerializerOptions? SerializerOptions { get; set; }

    /// <summary>The default of <see cref="MaxBlobSize"/>: 100 MiB, as the gateway's <c>Blobs:MaxBlobBytes</c>.</summary>
    internal const long DefaultMaxBlobSize = 100L * 1024 * 1024;

    /// <summary>The spool directory to use: <see cref="TempDir"/>, or the default one for the project.</summary>
    internal string ResolveTempDir() =>
        string.IsNullOrWhiteSpace(TempDir)
            ? Path.Combine(Path.GetTempPath(), "xray-sdk", ProjectId ?? "default")
            : TempDir;
}
