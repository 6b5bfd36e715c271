namespace StreamDiffusion.Pipeline.Batching;

/// <summary>
/// Marks one client (a stream or session) as active on an engine until disposed. While two or
/// more clients are active the engine waits up to <see cref="BatchingOptions.MaxDelay"/> to fill
/// a batch; it stops waiting as soon as it holds one request per active client.
/// </summary>
public sealed class ClientRegistration : IDisposable
{
    private Action? _release;

    internal ClientRegistration(Action release)
    {
        _release = release;
    }

    /// <summary>Unregisters the client. Idempotent.</summary>
    public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
}
