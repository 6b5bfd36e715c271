using Grpc.Core;
using Microsoft.Extensions.Options;
using StreamDiffusion.StreamHost.Options;
using StreamDiffusion.StreamHost.Serving;

namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// Admission control: at most <see cref="LimitsOptions.MaxSessions"/> sessions at once, none while draining, and
/// the list of running sessions so shutdown can wait for them or end them.
/// </summary>
public sealed class SessionRegistry
{
    private readonly object _gate = new();
    private readonly HashSet<SessionLease> _active = [];
    private readonly HostMetrics _metrics;
    private TaskCompletionSource? _idle;

    /// <summary>Creates the registry with the configured capacity.</summary>
    public SessionRegistry(IOptions<LimitsOptions> limits, HostMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(limits);
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        MaxSessions = limits.Value.MaxSessions;
        _metrics.SessionsMax.Set(MaxSessions);
    }

    /// <summary>Configured capacity.</summary>
    public int MaxSessions { get; }

    /// <summary>Sessions running now.</summary>
    public int ActiveCount
    {
        get
        {
            lock (_gate)
            {
                return _active.Count;
            }
        }
    }

    /// <summary>True once shutdown started: new sessions are refused with UNAVAILABLE.</summary>
    public bool IsDraining { get; private set; }

    /// <summary>Takes a slot.</summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED at capacity; UNAVAILABLE while draining.</exception>
    public SessionLease Acquire()
    {
        lock (_gate)
        {
            if (IsDraining)
            {
                _metrics.SessionsRejected.WithLabels("draining").Inc();
                throw new RpcException(new Status(StatusCode.Unavailable, "host is shutting down; retry on another replica"));
            }

            if (_active.Count >= MaxSessions)
            {
                _metrics.SessionsRejected.WithLabels("capacity").Inc();
                throw new RpcException(new Status(StatusCode.ResourceExhausted,
                    $"host is at capacity ({MaxSessions} sessions); retry later or on another replica"));
            }

            var lease = new SessionLease(this, Guid.NewGuid().ToString("N")[..12]);
            _active.Add(lease);
            _metrics.SessionsActive.Set(_active.Count);
            _metrics.SessionsStarted.Inc();
            return lease;
        }
    }

    /// <summary>Refuses new sessions from now on.</summary>
    public void BeginDrain()
    {
        lock (_gate)
        {
            IsDraining = true;
            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_active.Count == 0)
            {
                _idle.TrySetResult();
            }
        }
    }

    /// <summary>Completes when draining and no session is left.</summary>
    public Task WaitForIdleAsync(CancellationToken cancellationToken)
    {
        Task idle;
        lock (_gate)
        {
            if (_idle is null)
            {
                throw new InvalidOperationException("Call BeginDrain first.");
            }

            idle = _idle.Task;
        }

        return idle.WaitAsync(cancellationToken);
    }

    /// <summary>Ends every running session (they finish with UNAVAILABLE).</summary>
    public void CancelAll()
    {
        SessionLease[] leases;
        lock (_gate)
        {
            leases = [.. _active];
        }

        foreach (var lease in leases)
        {
            lease.CancelForShutdown();
        }
    }

    internal void Release(SessionLease lease)
    {
        lock (_gate)
        {
            _active.Remove(lease);
            _metrics.SessionsActive.Set(_active.Count);
            if (_active.Count == 0)
            {
                _idle?.TrySetResult();
            }
        }
    }
}
