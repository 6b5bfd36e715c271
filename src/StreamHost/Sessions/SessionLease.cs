namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// A session's slot in the <see cref="SessionRegistry"/>. Disposing it frees the slot. Its
/// <see cref="ShutdownToken"/> fires when the host's drain deadline passes.
/// </summary>
/// <remarks>
/// <see cref="Release"/> frees the slot early, without ending the lease: a cancelled call gives its slot back at
/// once, while work it already started (a model load, an ONNX run that cannot be interrupted) finishes unseen.
/// </remarks>
public sealed class SessionLease : IDisposable
{
    private readonly SessionRegistry _registry;
    private readonly CancellationTokenSource _shutdown = new();
    private int _disposed;
    private int _released;

    internal SessionLease(SessionRegistry registry, string id)
    {
        _registry = registry;
        Id = id;
    }

    /// <summary>Host-assigned session id (12 hex digits).</summary>
    public string Id { get; }

    /// <summary>Cancelled when the host stops waiting for this session during shutdown.</summary>
    public CancellationToken ShutdownToken => _shutdown.Token;

    /// <summary>Frees the slot now (once; later calls and <see cref="Dispose"/> do nothing more to it).</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _registry.Release(this);
        }
    }

    /// <summary>Frees the slot (unless <see cref="Release"/> already did) and ends the lease.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Release();
            _shutdown.Dispose();
        }
    }

    /// <summary>Frees the slot as soon as <paramref name="callCancelled"/> fires; dispose the result with the lease.</summary>
    public CancellationTokenRegistration ReleaseOnCancel(CancellationToken callCancelled) =>
        callCancelled.UnsafeRegister(static state => ((SessionLease)state!).Release(), this);

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
