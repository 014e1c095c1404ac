using Microsoft.Extensions.Logging;

namespace XRay.Sdk.Diagnostics;

/// <summary>Lets warnings and errors through and keeps the SDK's debug chatter out unless <see cref="XRayOptions.Debug"/> is on.</summary>
internal sealed class WarningsOnlyLogger(ILogger inner) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
