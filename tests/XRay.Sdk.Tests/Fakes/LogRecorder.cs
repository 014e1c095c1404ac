using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace XRay.Sdk.Tests.Fakes;

/// <summary>One message the tracer logged.</summary>
public sealed record LogEntry(LogLevel Level, string? EventName, string Message);

/// <summary>A logger factory that keeps every message, so a test can check what the tracer said.</summary>
public sealed class LogRecorder : ILoggerFactory
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Recorder(_entries);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Recorder(ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue(new LogEntry(logLevel, eventId.Name, formatter(state, exception)));
    }
}
