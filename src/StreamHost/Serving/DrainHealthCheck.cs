using Microsoft.Extensions.Diagnostics.HealthChecks;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Serving;

/// <summary>
/// Readiness: healthy while the host admits sessions, unhealthy once it drains (so the load balancer and the
/// gRPC health service stop sending work). A full host stays healthy: it answers RESOURCE_EXHAUSTED per call.
/// </summary>
public sealed class DrainHealthCheck : IHealthCheck
{
    private readonly SessionRegistry _registry;

    /// <summary>Creates the check.</summary>
    public DrainHealthCheck(SessionRegistry registry) => _registry = registry;

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["active_sessions"] = _registry.ActiveCount,
            ["max_sessions"] = _registry.MaxSessions,
        };
        return Task.FromResult(_registry.IsDraining
            ? HealthCheckResult.Unhealthy("draining: the host is shutting down", data: data)
            : HealthCheckResult.Healthy("accepting sessions", data));
    }
}
