using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using XRay.Sdk.Diagnostics;
using XRay.Sdk.Http;

namespace XRay.Sdk.Uploading;

/// <summary>
/// How an upload is retried: each attempt is cut off after <see cref="XRayOptions.RequestTimeout"/> plus its bytes at
/// <see cref="MinBytesPerSecond"/>; a failure a retry
/// may fix is retried with exponential backoff and jitter, waiting at least what <c>Retry-After</c> asks; a refusal is
/// final. When the server or its infrastructure is unavailable (connection refused, timeout, 408, 429, 502, 503, 504, a CDN's 520-527, 530, 598, 599)
/// retries go on until the entry is delivered or the tracer stops: the entry stays spooled meanwhile, so nothing is
/// lost. When the server fails on the entry itself (500, 501, ...) it is given up after
/// <see cref="XRayOptions.MaxServerErrorAttempts"/> such answers, counted whether or not unavailability came between
/// them: a batch that makes the server fail every time would otherwise hold back every entry behind it forever. An
/// upload the blob store refuses (<see cref="DeliveryOutcome.UploadRefused"/>) is retried with a fresh URL until
/// <see cref="MaxUploadRefusals"/> such answers.
/// </summary>
internal sealed class DeliveryPolicy
{
    private static readonly ResiliencePropertyKey<string> EntryKey = new("xray.entry");
    private static readonly ResiliencePropertyKey<int> ServerErrorsKey = new("xray.server-errors");
    private static readonly ResiliencePropertyKey<int> UploadRefusalsKey = new("xray.upload-refusals");
    private static readonly ResiliencePropertyKey<long> BytesKey = new("xray.bytes");

    /// <summary>
    /// The slowest transfer an attempt is given time for, on top of <see cref="XRayOptions.RequestTimeout"/>: a blob of
    /// 100 MB is allowed about 95 s more. With one fixed timeout, an entry that cannot cross the link within it timed out
    /// on every attempt, was retried for ever, and held back every entry behind it.
    /// </summary>
    public const long MinBytesPerSecond = 1 << 20;

    /// <summary>
    /// How many times the blob store may refuse a blob's upload (<see cref="DeliveryOutcome.UploadRefused"/>), each time
    /// to a fresh URL, before the refusal is final: a URL that expired on the way (a long retry, a slow link) is fixed
    /// by the first fresh one, a passing clock skew by the next; a store that refuses a third fresh URL refuses the blob.
    /// </summary>
    public const int MaxUploadRefusals = 3;
    private readonly ResiliencePipeline<Delivery> _pipeline;
    private readonly int _maxServerErrorAttempts;
    private readonly Counters _counters;
    private readonly ILogger _logger;

    public DeliveryPolicy(XRayOptions options, TimeProvider time, Counters counters, ILogger logger)
    {
        _counters = counters;
        _logger = logger;
        _maxServerErrorAttempts = options.MaxServerErrorAttempts;
        _pipeline = new ResiliencePipelineBuilder<Delivery> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<Delivery>
            {
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, args.Context)),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.RetryMaxDelay,
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome, args.AttemptNumber, options)),
                OnRetry = OnRetry,
            })
            .AddTimeout(new TimeoutStrategyOptions
            {
                TimeoutGenerator = args => ValueTask.FromResult(AttemptTimeout(options.RequestTimeout, args.Context.Properties.GetValue(BytesKey, 0L))),
            })
            .Build();
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> until it is delivered, refused, or given up after too many server errors or upload
    /// refusals (the result is then the last of them); throws only when <paramref name="cancellationToken"/> fires.
    /// Each attempt may take <see cref="XRayOptions.RequestTimeout"/> plus the time <paramref name="bytes"/> take at
    /// <see cref="MinBytesPerSecond"/>.
    /// </summary>
    public async Task<Delivery> ExecuteAsync(string entry, long bytes, Func<CancellationToken, Task<Delivery>> attempt, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(EntryKey, entry);
        context.Properties.Set(BytesKey, bytes);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(
                static async (ctx, attempt) => Outcome.FromResult(await attempt(ctx.CancellationToken).ConfigureAwait(false)),
                context,
                attempt).ConfigureAwait(false);
            outcome.ThrowIfException();
            var delivery = outcome.Result!;
            var serverErrors = context.Properties.GetValue(ServerErrorsKey, 0);
            if (cancellationToken.IsCancellationRequested
                && (delivery.Outcome == DeliveryOutcome.Transient
                    || (delivery.Outcome == DeliveryOutcome.ServerError && serverErrors < _maxServerErrorAttempts)
                    || (delivery.Outcome == DeliveryOutcome.UploadRefused && context.Properties.GetValue(UploadRefusalsKey, 0) < MaxUploadRefusals)))
            {
                // Polly hands back the last answer when the stop comes between it and the retry: the entry was not given
                // up, it stays spooled for the next process
                cancellationToken.ThrowIfCancellationRequested();
            }

            if (delivery.Outcome == DeliveryOutcome.ServerError)
            {
                Log.GaveUp(_logger, entry, serverErrors, delivery.Status, delivery.Detail);
            }

            return delivery;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>The configured timeout plus the entry's transfer at the slowest rate allowed, at most a day (Polly's bound).</summary>
    internal static TimeSpan AttemptTimeout(TimeSpan requestTimeout, long bytes)
    {
        var seconds = requestTimeout.TotalSeconds + ((double)Math.Max(bytes, 0) / MinBytesPerSecond);
        return TimeSpan.FromSeconds(Math.Min(seconds, TimeSpan.FromDays(1).TotalSeconds));
    }

    private bool ShouldRetry(Outcome<Delivery> outcome, ResilienceContext context) => outcome switch
    {
        { Exception: OperationCanceledException } when context.CancellationToken.IsCancellationRequested => false,
        { Exception: HttpRequestException or TimeoutRejectedException or IOException or OperationCanceledException } => true,
        { Result.Outcome: DeliveryOutcome.Transient } => true,
        { Result.Outcome: DeliveryOutcome.ServerError } => Count(context, ServerErrorsKey) < _maxServerErrorAttempts,
        { Result.Outcome: DeliveryOutcome.UploadRefused } => Count(context, UploadRefusalsKey) < MaxUploadRefusals,
        _ => false,
    };

    /// <summary>Answers of one kind for this entry so far, this one included (the context is the entry's, one per <see cref="ExecuteAsync"/>).</summary>
    private static int Count(ResilienceContext context, ResiliencePropertyKey<int> key)
    {
        var answers = context.Properties.GetValue(key, 0) + 1;
        context.Properties.Set(key, answers);
        return answers;
    }

    private static TimeSpan? RetryAfter(Outcome<Delivery> outcome, int attempt, XRayOptions options)
    {
        if (outcome.Result?.RetryAfter is not { } asked)
        {
            return null; // Polly's own exponential backoff with jitter
        }

        // Honour the server, but keep backing off as Polly would without it: a fixed Retry-After (the gateway's 5 s while
        // a dependency is down) would otherwise keep every SDK retrying in step at that pace for as long as it lasts.
        var own = Backoff(attempt, options);
        return asked > own ? asked : own;
    }

    /// <summary>Exponential from <see cref="XRayOptions.RetryBaseDelay"/>, capped at <see cref="XRayOptions.RetryMaxDelay"/>, with ±20 % jitter.</summary>
    private static TimeSpan Backoff(int attempt, XRayOptions options)
    {
        var exponential = options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        var capped = Math.Min(exponential, options.RetryMaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(Math.Max(options.RetryBaseDelay.TotalMilliseconds, capped * (0.8 + (0.4 * Random.Shared.NextDouble()))));
    }

    private ValueTask OnRetry(OnRetryArguments<Delivery> args)
    {
        _counters.Retried();
        var reason = args.Outcome.Exception?.GetType().Name ?? $"HTTP {args.Outcome.Result?.Status}";
        Log.Retrying(_logger, args.AttemptNumber + 1, args.Context.Properties.GetValue(EntryKey, "?"), reason, args.RetryDelay);
        return ValueTask.CompletedTask;
    }
}
