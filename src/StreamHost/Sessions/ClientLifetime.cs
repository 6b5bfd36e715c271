namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// The client-gone signal of a transport that finds out about the loss itself (a failed WebSocket send, a
/// broadcaster that disconnects): a token that fires with the underlying one (the HTTP request aborted, the host
/// stopping) or when the transport calls <see cref="Abort"/>.
/// </summary>
public sealed class ClientLifetime : IDisposable
{
    private readonly CancellationTokenSource _cts;

    /// <summary>Creates the lifetime, ended also by <paramref name="ended"/>.</summary>
    public ClientLifetime(CancellationToken ended)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(ended);
    }

    /// <summary>Fires when the client is gone.</summary>
    public CancellationToken Token => _cts.Token;

    /// <summary>The client is gone: ends its session like a disconnect.</summary>
    public void Abort()
    {
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The session is over already.
        }
    }

    /// <inheritdoc />
    public void Dispose() => _cts.Dispose();
}
