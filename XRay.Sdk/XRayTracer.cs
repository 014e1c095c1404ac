using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using XRay.Sdk.Diagnostics;
using XRay.Sdk.Events;
using XRay.Sdk.Processing;
using XRay.Sdk.Storage;

namespace XRay.Sdk;

/// <summary>
/// The entry point of the SDK: create one per process (or register it with <c>AddXRay</c>), then call
/// <see cref="CreateTrace"/> once per pipeline run. Recording never blocks, slows or throws into the
/// caller: events are serialized, spooled and sent in the background. Dispose it (<c>await using</c>)
/// to send what is still queued, within <see cref="XRayOptions.ShutdownTimeout"/>.
/// </summary>
public sealed class XRayTracer : IAsyncDisposable, IDisposable
{
    /// <summary>
    /// The name of the <see cref="System.Diagnostics.Metrics.Meter"/> on which every tracer publishes its counters
    /// (<c>xray.sdk.events.sent</c>, <c>xray.sdk.events.dropped</c>, ...): add it to an OpenTelemetry meter provider
    /// (<c>AddMeter(XRayTracer.MeterName)</c>) or watch it with <c>dotnet-counters</c>.
    /// </summary>
    public const string MeterName = "XRay.Sdk";

    private readonly XRayOptions _options;
    private readonly EventPipeline? _pipeline;
    private readonly TracerMetrics? _metrics;
    private readonly Counters _counters = new();
    private int _disposed;

    /// <summary>Creates a tracer. Throws <see cref="Microsoft.Extensions.Options.OptionsValidationException"/> when the options are invalid.</summary>
    /// <param name="options">The settings; <see cref="XRayOptions.ApiKey"/> and <see cref="XRayOptions.ProjectId"/> are required.</param>
    /// <param name="loggerFactory">Where the tracer logs warnings, and with <see cref="XRayOptions.Debug"/> everything it does.</param>
    public XRayTracer(XRayOptions options, ILoggerFactory? loggerFactory = null)
        : this(options, loggerFactory, TimeProvider.System, handler: null)
    {
    }

    internal XRayTracer(XRayOptions options, ILoggerFactory? loggerFactory, TimeProvider time, HttpMessageHandler? handler, StorageOpener? openStorage = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        XRayOptionsValidator.ThrowIfInvalid(options);
        _options = options;
        ILogger logger = loggerFactory?.CreateLogger("XRay.Sdk") is { } created ? new GuardedLogger(created) : NullLogger.Instance;
        if (!options.Debug)
        {
            logger = new WarningsOnlyLogger(logger);
        }

        if (options.Enabled)
        {
            _pipeline = new EventPipeline(options, time, _counters, logger, handler, openStorage);
            _metrics = new TracerMetrics(options.ProjectId!, _counters, _pipeline);
        }
    }

    /// <summary>Whether this tracer records anything (<see cref="XRayOptions.Enabled"/>).</summary>
    public bool IsEnabled => _pipeline is not null;

    /// <summary>What the tracer has recorded, sent, spooled, dropped and retried so far.</summary>
    /// <remarks>Never waits for the spool: while it is still opening (in the background, from the constructor on) it reports 0 bytes, not on disk.</remarks>
    public XRayStats Stats => _counters.Snapshot(_pipeline?.SpoolBytes ?? 0, _pipeline?.SpoolIsDisk ?? false);

    internal EventPipeline? Pipeline => _pipeline;

    internal TracerMetrics? Metrics => _metrics;

    /// <summary>Starts a trace: one run of a pipeline. Sends a <c>trace</c> event at once.</summary>
    /// <param name="name">What the pipeline is, such as <c>competitor-search</c>.</param>
    /// <param name="metadata">Any object, serialized as a JSON object; queryable by path on the server.</param>
    public Trace CreateTrace(string name, object? metadata = null)
    {
        var traceId = string.Concat(_options.ProjectId ?? "disabled", "-", Uuid7.New().ToString());
        var trace = new Trace(traceId, name, _pipeline); // once disposed, the pipeline counts what is recorded as dropped
        trace.Post(new PendingEvent { Type = EventType.Trace, TraceId = traceId, Name = name, Metadata = metadata });
        return trace;
    }

    /// <summary>Sends everything recorded so far. Returns within <paramref name="timeout"/> (default <see cref="XRayOptions.ShutdownTimeout"/>).</summary>
    /// <returns>
    /// <see langword="true"/> when nothing recorded is left to send: delivered, or refused by the gateway and counted as
    /// dropped in <see cref="Stats"/>; <see langword="false"/> when some is still spooled.
    /// </returns>
    public Task<bool> FlushAsync(TimeSpan? timeout = null) =>
        _pipeline?.FlushAsync(timeout ?? _options.ShutdownTimeout) ?? Task.FromResult(true);

    /// <summary>
    /// Flushes, then stops, within <see cref="XRayOptions.ShutdownTimeout"/> in all: it returns when that is spent, even
    /// while a worker is stuck serializing one of your objects or the gateway hangs. What is not sent stays on disk for
    /// the next tracer; an event a stuck worker finishes later is spooled there too (counted as dropped with a memory spool).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && _pipeline is not null)
        {
            try
            {
                await _pipeline.DisposeAsync(_options.ShutdownTimeout).ConfigureAwait(false);
            }
            finally
            {
                _metrics?.Dispose(); // after the last flush, so a collection up to here sees what it sent
            }
        }
    }

    /// <summary>Synchronous <see cref="DisposeAsync"/>, for code that cannot await; prefer <c>await using</c>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
