using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Security;

/// <summary>
/// A session transport whose input admits the session (<see cref="KeyAdmission"/>) when its
/// <see cref="SessionConfig"/> arrives, before the session core sees it, and holds the key's slot until disposed;
/// everything else is the wrapped transport's. The WebSocket's counterpart of <see cref="AdmittingStreamReader"/>
/// (which does the same for gRPC ahead of the service), so both transports count against one limit.
/// </summary>
public sealed class AdmittingSessionTransport : ISessionTransport, ISessionInput, IDisposable
{
    private readonly ISessionTransport _inner;
    private readonly KeyAdmission _admission;
    private readonly ClientIdentity _identity;
    private IDisposable? _slot;
    private bool _started;

    /// <summary>Wraps <paramref name="inner"/> for <paramref name="identity"/>'s session.</summary>
    public AdmittingSessionTransport(ISessionTransport inner, KeyAdmission admission, ClientIdentity identity)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _admission = admission;
        _identity = identity;
    }

    /// <inheritdoc />
    public SessionIdentity Identity => _inner.Identity;

    /// <inheritdoc />
    public ISessionInput Input => this;

    /// <inheritdoc />
    public ISessionOutput Output => _inner.Output;

    /// <inheritdoc />
    public CancellationToken ClientGone => _inner.ClientGone;

    /// <inheritdoc />
    public void AbortStalledWriter() => _inner.AbortStalledWriter();

    /// <inheritdoc />
    public Task CompleteAsync(SessionStatus status) => _inner.CompleteAsync(status);

    /// <inheritdoc />
    public async ValueTask<StreamRequest?> ReadAsync(CancellationToken cancellationToken)
    {
        var request = await _inner.Input.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (request is not null && !_started)
        {
            _started = true;
            _slot = _admission.AdmitStream(_identity, request, _inner.ClientGone);
        }

        return request;
    }

    /// <summary>Gives the key's slot back.</summary>
    public void Dispose() => _slot?.Dispose();
}
