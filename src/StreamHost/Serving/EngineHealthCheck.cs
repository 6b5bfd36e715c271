using Microsoft.Extensions.Diagnostics.HealthChecks;
using StreamDiffusion.StreamHost.Diffusion;

namespace StreamDiffusion.StreamHost.Serving;

/// <summary>
/// Liveness of the model engines: unhealthy once an engine gave up restarting its dying workers (see
/// <see cref="Pipeline.Batching.BatchingOptions.MaxWorkerRestarts"/>), so /healthz fails and the gRPC health service
/// answers NOT_SERVING and the load balancer moves clients to a replica whose engines work. A model that failed to
/// load does not count: it never served, and ListModels says why.
/// </summary>
public sealed class EngineHealthCheck(ModelRuntimeRegistry runtimes) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var faulted = runtimes.FaultedEngines().ToList();
        return Task.FromResult(faulted.Count == 0
            ? HealthCheckResult.Healthy("engines serving")
            : HealthCheckResult.Unhealthy(string.Join("; ", faulted.Select(f => $"model {f.Model}: {f.Reason}"))));
    }
}
