namespace StreamDiffusion.StreamHost.Security;

/// <summary>
/// Sessions running per client name, across every transport (gRPC Stream, Generate, GenerateVideo, WebSocket), so
/// a key's <see cref="KeyLimits.MaxSessions"/> holds however its sessions arrive.
/// </summary>
public sealed class KeySessionCounter
{
    private readonly Dictionary<string, int> _running = new(StringComparer.Ordinal);

    /// <summary>Sessions <paramref name="name"/> has running now.</summary>
    public int Running(string name)
    {
        lock (_running)
        {
            return _running.GetValueOrDefault(name);
        }
    }

    /// <summary>
    /// Takes one of <paramref name="name"/>'s <paramref name="max"/> slots (0: unlimited) until the lease is
    /// disposed or <paramref name="cancellationToken"/> fires; null when all are taken.
    /// </summary>
    public IDisposable? TryAcquire(string name, int max, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_running)
        {
            var running = _running.GetValueOrDefault(name);
            if (max > 0 && running >= max)
            {
                return null;
            }

            _running[name] = running + 1;
        }

        return new Slot(this, name, cancellationToken);
    }

    private void Release(string name)
    {
        lock (_running)
        {
            var running = _running.GetValueOrDefault(name) - 1;
            if (running <= 0)
            {
                _running.Remove(name);
            }
            else
            {
                _running[name] = running;
            }
        }
    }

    // A cancelled call gives its slot back at once, not when its handler finally unwinds (the same rule as the
    // host's own session slots).
    private sealed class Slot : IDisposable
    {
        private readonly KeySessionCounter _owner;
        private readonly string _name;
        private readonly CancellationTokenRegistration _onCancel;
        private int _released;

        public Slot(KeySessionCounter owner, string name, CancellationToken cancellationToken)
        {
            _owner = owner;
            _name = name;
            _onCancel = cancellationToken.Register(Release);
        }

        public void Dispose()
        {
            _onCancel.Dispose();
            Release();
        }

        private void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                _owner.Release(_name);
            }
        }
    }
}
