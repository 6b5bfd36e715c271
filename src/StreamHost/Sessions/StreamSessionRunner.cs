using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Options;
using StreamDiffusion.StreamHost.Services;
using StreamDiffusion.StreamHost.Serving;
using StreamDiffusion.StreamHost.Web;

namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// The transport-neutral entry of a Stream session: reads and validates the first request (the SessionConfig),
/// admits the session against the host's capacity, lists it for <c>/sessions</c> and MJPEG, creates its processor,
/// runs the <see cref="StreamSession"/>, and hands the final status to the transport to deliver. gRPC, WebSocket
/// and broadcast ingest are adapters (<see cref="ISessionTransport"/>) over this one code path, so admission,
/// limits, the drop-oldest queue and the per-frame answers are the same for all of them.
/// </summary>
public sealed class StreamSessionRunner
{
    private readonly IModelCatalog _catalog;
    private readonly IStreamProcessorFactory _processors;
    private readonly SessionRegistry _registry;
    private readonly HostMetrics _metrics;
    private readonly LiveSessions _live;
    private readonly LimitsOptions _limits;
    private readonly CapacityOptions _capacity;
    private readonly ILogger _sessionLogger;
    private readonly TimeProvider _time;

    /// <summary>Creates the runner (one per host).</summary>
    public StreamSessionRunner(
        IModelCatalog catalog,
        IStreamProcessorFactory processors,
        SessionRegistry registry,
        HostMetrics metrics,
        LiveSessions live,
        IOptions<LimitsOptions> limits,
        IOptions<CapacityOptions> capacity,
        ILoggerFactory loggerFactory,
        TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(capacity);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _catalog = catalog;
        _processors = processors;
        _registry = registry;
        _metrics = metrics;
        _live = live;
        _limits = limits.Value;
        _capacity = capacity.Value;
        _sessionLogger = loggerFactory.CreateLogger("StreamDiffusion.StreamHost.Sessions.StreamSession");
    }

    /// <summary>
    /// Runs one session over <paramref name="transport"/> and delivers its status through
    /// <see cref="ISessionTransport.CompleteAsync"/>. Errors that are not a status (a bug) propagate to the adapter.
    /// </summary>
    public async Task RunAsync(ISessionTransport transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        SessionStatus status;
        try
        {
            status = await RunSessionAsync(transport).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            // Refused before the session ran: bad config, unknown model, capacity, draining.
            status = SessionStatus.From(ex);
        }
        catch (OperationCanceledException) when (transport.ClientGone.IsCancellationRequested)
        {
            // The client left while its session was being set up (a model still loading).
            status = SessionStatus.Gone;
        }

        await transport.CompleteAsync(status).ConfigureAwait(false);
    }

    private async Task<SessionStatus> RunSessionAsync(ISessionTransport transport)
    {
        var clientGone = transport.ClientGone;
        StreamRequest? first;
        try
        {
            first = await transport.Input.ReadAsync(clientGone).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The client reset the call before its config arrived: an ordinary cancel, with nobody left to answer.
            return SessionStatus.Gone;
        }

        if (first is null)
        {
            return SessionStatus.Ok;
        }

        if (first.PayloadCase != StreamRequest.PayloadOneofCase.Config)
        {
            return new SessionStatus(StatusCode.FailedPrecondition,
                $"the first StreamRequest must carry a SessionConfig, got {first.PayloadCase.ToString().ToLowerInvariant()}");
        }

        var model = _catalog.ResolveOrThrow(first.Config.Model);
        var settings = SessionSettingsValidator.FromConfig(first.Config, model, _limits);
        using var lease = _registry.Acquire();
        using var releaseOnCancel = lease.ReleaseOnCancel(clientGone);

        // Listed for /sessions and /sessions/{id}/mjpeg until the session ends (disposed before the lease).
        using var live = _live.Open(lease.Id, settings, transport.Identity);
        var processor = await _processors.CreateAsync(model, settings, clientGone).ConfigureAwait(false);
        await using (processor.ConfigureAwait(false))
        {
            var fpsCap = FrameRateLimiter.Create(FrameRateLimiter.Effective(_capacity.MaxFramesPerSecondPerStream, settings.MaxFps, transport.Identity.MaxFramesPerSecond), _time);
            var session = new StreamSession(transport, settings, processor, lease, _metrics, _limits, _capacity, _sessionLogger, live, fpsCap);
            return await session.RunAsync().ConfigureAwait(false);
        }
    }
}
