using XRay.Sdk.Events;

namespace XRay.Sdk;

/// <summary>Capture: run a piece of the pipeline as a timed step.</summary>
public sealed partial class Trace
{
    /// <summary>
    /// Runs <paramref name="action"/> as a step: records its start, end, input and result (as the step's output).
    /// If it throws, an <c>error</c> step is recorded and the exception is rethrown unchanged.
    /// </summary>
    public T Capture<T>(string name, Func<T> action, string? kind = null, object? input = null)
    {
        ArgumentNullException.ThrowIfNull(action);
        var (number, startedAt) = Begin();
        try
        {
            var result = action();
            End(name, kind, input, number, startedAt, result, null);
            return result;
        }
        catch (Exception e)
        {
            End(name, kind, input, number, startedAt, null, e);
            throw;
        }
    }

    /// <summary>Runs <paramref name="action"/> as a timed step; an exception is recorded and rethrown unchanged.</summary>
    public void Capture(string name, Action action, string? kind = null, object? input = null)
    {
        ArgumentNullException.ThrowIfNull(action);
        Capture<object?>(name, () =>
        {
            action();
            return null;
        }, kind, input);
    }

    /// <summary>
    /// Awaits <paramref name="action"/> as a step: records its start, end, input and result (as the step's output).
    /// If it throws, an <c>error</c> step is recorded and the exception is rethrown unchanged.
    /// </summary>
    public async Task<T> CaptureAsync<T>(string name, Func<Task<T>> action, string? kind = null, object? input = null)
    {
        ArgumentNullException.ThrowIfNull(action);
        var (number, startedAt) = Begin();
        try
        {
            var result = await action().ConfigureAwait(false);
            End(name, kind, input, number, startedAt, result, null);
            return result;
        }
        catch (Exception e)
        {
            End(name, kind, input, number, startedAt, null, e);
            throw;
        }
    }

    /// <summary>Awaits <paramref name="action"/> as a timed step; an exception is recorded and rethrown unchanged.</summary>
    public Task CaptureAsync(string name, Func<Task> action, string? kind = null, object? input = null)
    {
        ArgumentNullException.ThrowIfNull(action);
        return CaptureAsync<object?>(name, async () =>
        {
            await action().ConfigureAwait(false);
            return null;
        }, kind, input);
    }

    private (int Number, DateTime StartedAt) Begin() => (NextStepNumber(), Now());

    private void End(string name, string? kind, object? input, int number, DateTime startedAt, object? output, Exception? exception)
    {
        var endedAt = EndOf(startedAt);
        Post(new PendingEvent
        {
            Type = exception is null ? EventType.Step : EventType.Error,
            Timestamp = endedAt,
            TraceId = TraceId,
            StepNumber = number,
            Name = name,
            Kind = kind,
            Input = input,
            Output = output,
            StartedAt = startedAt,
            EndedAt = endedAt,
            Exception = exception,
        });
    }
}
