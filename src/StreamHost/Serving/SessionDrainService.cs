using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamDiffusion.StreamHost.Options;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Serving;

/// <summary>
/// Graceful shutdown. Drains in <see cref="StoppingAsync"/>, which the host runs before any hosted service (Kestrel
/// included) stops: refuse new sessions, let running streams finish up to <see cref="CapacityOptions.DrainTimeout"/>,
/// then end the rest with UNAVAILABLE; only then does Kestrel close its listeners.
/// </summary>
public sealed partial class SessionDrainService : IHostedLifecycleService
{
    private static readonly TimeSpan s_unwindTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_trailerFlush = TimeSpan.FromMilliseconds(250);
    private readonly SessionRegistry _registry;
    private readonly CapacityOptions _capacity;
    private readonly ILogger<SessionDrainService> _logger;

    /// <summary>Creates the service.</summary>
    public SessionDrainService(SessionRegistry registry, IOptions<CapacityOptions> capacity, ILogger<SessionDrainService> logger)
    {
        ArgumentNullException.ThrowIfNull(capacity);
        _registry = registry;
        _capacity = capacity.Value;
        _logger = logger;
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _registry.BeginDrain();
        var active = _registry.ActiveCount;
        if (active == 0)
        {
            return;
        }

        LogDraining(active, _capacity.DrainTimeout.TotalSeconds);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_capacity.DrainTimeout);
        try
        {
            await _registry.WaitForIdleAsync(deadline.Token).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException)
        {
            // Deadline passed: end what is left.
        }

        LogCancelling(_registry.ActiveCount);
        _registry.CancelAll();
        using var unwind = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        unwind.CancelAfter(s_unwindTimeout);
        try
        {
            await _registry.WaitForIdleAsync(unwind.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            LogStuck(_registry.ActiveCount);
            return;
        }

        // A session leaves the registry just before its handler returns and gRPC writes the UNAVAILABLE trailers;
        // closing the connections at once would cut some of them off (the client then sees a bare connection close).
        await Task.Delay(s_trailerFlush, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutting down: waiting up to {Seconds:F1}s for {Count} sessions to finish")]
    private partial void LogDraining(int count, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Drain deadline passed: ending {Count} sessions with UNAVAILABLE")]
    private partial void LogCancelling(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} sessions did not end after cancellation; Kestrel will abort them")]
    private partial void LogStuck(int count);
}
