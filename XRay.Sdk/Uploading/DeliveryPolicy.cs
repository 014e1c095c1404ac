using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using XRay.Sdk.Diagnostics;
using XRay.Sdk.Http;

namespace XRay.Sdk.Uploading;

/// <summary>
/// How an upload is retried: each attempt is cut off after <see cref="XRayOptions.RequestTimeout"/>; a
/// transient failure (connection refused, timeout, 408, 429, 5xx) is retried with exponential backoff
/// and jitter, waiting at least what <c>Retry-After</c> asks; a refusal is final. Retries go on until
/// the entry is delivered or the tracer stops: the entry stays spooled meanwhile, so nothing is lost.
/// </summary>
internal sealed class DeliveryPolicy
{
    private static readonly ResiliencePropertyKey<string> EntryKey = new("xray.entry");
    private readonly ResiliencePipeline<Delivery> _pipeline;
    private readonly Counters _counters;
    private readonly ILogger _logger;

    public DeliveryPolicy(XRayOptions options, TimeProvider time, Counters counters, ILogger logger)
    {
        _counters = counters;
        _logger = logger;
        _pipeline = new ResiliencePipelineBuilder<Delivery> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<Delivery>
            {
                ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome, args.Context.CancellationToken)),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.RetryMaxDelay,
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome, args.AttemptNumber, options)),
                OnRetry = OnRetry,
            })
            .AddTimeout(options.RequestTimeout)
            .Build();
    }

    /// <summary>Runs <paramref name="attempt"/> until it is delivered or refused; throws only when <paramref name="cancellationToken"/> fires.</summary>
    public async Task<Delivery> ExecuteAsync(string entry, Func<CancellationToken, Task<Delivery>> attempt, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(EntryKey, entry);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(
                static async (ctx, attempt) => Outcome.FromResult(await attempt(ctx.CancellationToken).ConfigureAwait(false)),
                context,
                attempt).ConfigureAwait(false);
            outcome.ThrowIfException();
            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static bool IsTransient(Outcome<Delivery> outcome, CancellationToken stopping) => outcome switch
    {
        { Exception: OperationCanceledException } when stopping.IsCancellationRequested => false,
        { Exception: HttpRequestException or TimeoutRejectedException or IOException or OperationCanceledException } => true,
        { Result.Outcome: DeliveryOutcome.Transient } => true,
        _ => false,
    };

    private static TimeSpan? RetryAfter(Outcome<Delivery> outcome, int attempt, XRayOptions options)
    {
        if (outcome.Result?.RetryAfter is not { } asked)
        {
            return null; // Polly's own exponential backoff with jitter
        }

        // honour the server, but never retry sooner than our own first delay
        return asked > options.RetryBaseDelay ? asked : options.RetryBaseDelay;
    }

    private ValueTask OnRetry(OnRetryArguments<Delivery> args)
    {
        _counters.Retried();
        var reason = args.Outcome.Exception?.GetType().Name ?? $"HTTP {args.Outcome.Result?.Status}";
        Log.Retrying(_logger, args.AttemptNumber + 1, args.Context.Properties.GetValue(EntryKey, "?"), reason, args.RetryDelay);
        return ValueTask.CompletedTask;
    }
}
