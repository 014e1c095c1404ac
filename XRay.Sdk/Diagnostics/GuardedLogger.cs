using Microsoft.Extensions.Logging;

namespace XRay.Sdk.Diagnostics;

/// <summary>
/// The caller's logger, made unable to throw into the SDK: Microsoft's logger rethrows what a provider throws (a file
/// logger on a full disk) as an <see cref="AggregateException"/>, and one thrown on a worker's thread would end the
/// process, one thrown in an upload loop would stop it sending. A message that cannot be written is lost, nothing else.
/// </summary>
internal sealed class GuardedLogger(ILogger inner) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull
    {
        try
        {
            return inner.BeginScope(state);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }
    }

    public bool IsEnabled(LogLevel logLevel)
    {
        try
        {
            return inner.IsEnabled(logLevel);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;
        }
    }

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // the caller's logging is broken; the SDK must go on regardless
        }
    }
}
