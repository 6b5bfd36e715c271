using Grpc.Core;
using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Security;

/// <summary>
/// A Stream call's request stream that admits the session (<see cref="KeyAdmission"/>) when its
/// <see cref="SessionConfig"/> arrives, before the service sees it, and holds the key's slot until disposed.
/// Used for gRPC (<see cref="KeyPolicyInterceptor"/>) and the WebSocket alike, so both count against one limit.
/// </summary>
public sealed class AdmittingStreamReader : IAsyncStreamReader<StreamRequest>, IDisposable
{
    private readonly IAsyncStreamReader<StreamRequest> _inner;
    private readonly KeyAdmission _admission;
    private readonly ClientIdentity _identity;
    private readonly CancellationToken _callCancelled;
    private IDisposable? _slot;
    private bool _started;

    /// <summary>Wraps <paramref name="inner"/> for <paramref name="identity"/>'s call.</summary>
    public AdmittingStreamReader(IAsyncStreamReader<StreamRequest> inner, KeyAdmission admission, ClientIdentity identity, CancellationToken callCancelled)
    {
        _inner = inner;
        _admission = admission;
        _identity = identity;
        _callCancelled = callCancelled;
    }

    /// <inheritdoc />
    public StreamRequest Current => _inner.Current;

    /// <inheritdoc />
    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        var any = await _inner.MoveNext(cancellationToken).ConfigureAwait(false);
        if (any && !_started)
        {
            _started = true;
            _slot = _admission.AdmitStream(_identity, _inner.Current, _callCancelled);
        }

        return any;
    }

    /// <summary>Gives the key's slot back.</summary>
    public void Dispose() => _slot?.Dispose();
}
