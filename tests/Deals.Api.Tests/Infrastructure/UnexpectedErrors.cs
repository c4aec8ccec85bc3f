using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Deals.Api.Tests.Infrastructure;

/// <summary>
/// Keeps what the app logs about requests that ended in a 500 (the exception behind it), which its
/// answer never shows, so that a test seeing a 500 can say why.
/// </summary>
public sealed class UnexpectedErrors : ILoggerProvider
{
    public const string Category = "Deals.Api.Common.ProblemExceptionHandler";

    private readonly ConcurrentQueue<string> _errors = new();

    public IReadOnlyCollection<string> Logged => _errors;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName == Category ? _errors : null);

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<string>? errors) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => errors is not null && logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                errors!.Enqueue($"{formatter(state, exception)}: {exception}");
            }
        }
    }
}
