using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace StreamDiffusion.StreamHost.Tests.Reliability;

/// <summary>A host's log events, kept in memory for assertions (replaces the host's configured Serilog logger).</summary>
internal sealed class CapturedLog : ILogEventSink
{
    private readonly ConcurrentQueue<LogEvent> _events = new();

    public IReadOnlyList<LogEvent> Events => [.. _events];

    /// <summary>Registers a logger that writes Information and above here.</summary>
    public void AddTo(IServiceCollection services) =>
        services.AddSerilog(new LoggerConfiguration().MinimumLevel.Information().WriteTo.Sink(this).CreateLogger(), dispose: true);

    public void Emit(LogEvent logEvent) => _events.Enqueue(logEvent);

    public IEnumerable<string> Lines(LogEventLevel atLeast) =>
        Events.Where(e => e.Level >= atLeast).Select(e => $"{e.Level}: {e.RenderMessage(System.Globalization.CultureInfo.InvariantCulture)} {e.Exception?.GetType().Name}: {e.Exception?.Message}");
}
