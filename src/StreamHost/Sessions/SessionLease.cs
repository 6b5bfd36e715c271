namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// A session's slot in the <see cref="SessionRegistry"/>. Disposing it frees the slot. Its
/// <see cref="ShutdownToken"/> fires when the host's drain deadline passes.
/// </summary>
public sealed class SessionLease : IDisposable
{
    private readonly SessionRegistry _registry;
    private readonly CancellationTokenSource _shutdown = new();
    private int _disposed;

    internal SessionLease(SessionRegistry registry, string id)
    {
        _registry = registry;
        Id = id;
    }

    /// <summary>Host-assigned session id (12 hex digits).</summary>
    public string Id { get; }

    /// <summary>Cancelled when the host stops waiting for this session during shutdown.</summary>
    public CancellationToken ShutdownToken => _shutdown.Token;

    /// <summary>Frees the slot.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _registry.Release(this);
            _shutdown.Dispose();
        }
    }

    internal void CancelForShutdown()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            try
            {
                _shutdown.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Released concurrently: nothing left to cancel.
            }
        }
    }
}
