using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;
using StreamDiffusion.StreamHost.Diffusion;
using StreamDiffusion.StreamHost.Services;

namespace StreamDiffusion.StreamHost.Serving;

/// <summary>
/// The denoiser engines' load as Prometheus series, read from each loaded model's engine counters just before every
/// scrape: how busy its workers were since the previous scrape (the signal an autoscaler wants besides sessions),
/// the cumulative model time, and its queue. Models not loaded yet have no series.
/// </summary>
public sealed class EngineMetrics
{
    private readonly IServiceProvider _services;
    private readonly Gauge _busy;
    private readonly Counter _runSeconds;
    private readonly Gauge _queue;
    private readonly Dictionary<string, (long Timestamp, TimeSpan RunTime)> _previous = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Creates the series and hooks them to the host registry's collection. The model catalog and runtimes are
    /// looked up at each scrape, so building the host does not load (or validate) the model configuration.
    /// </summary>
    public EngineMetrics(HostMetrics metrics, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _services = services;
        var factory = Metrics.WithCustomRegistry(metrics.Registry);
        _busy = factory.CreateGauge("streamdiffusion_engine_busy_ratio",
            "Share of the denoiser engine's worker time spent in model calls since the previous scrape (0..1).", "model");
        _runSeconds = factory.CreateCounter("streamdiffusion_engine_busy_seconds_total",
            "Time spent inside denoiser model calls, summed over calls.", "model");
        _queue = factory.CreateGauge("streamdiffusion_engine_queue_depth", "Denoiser requests waiting for a model call.", "model");
        metrics.Registry.AddBeforeCollectCallback(Update);
    }

    private void Update()
    {
        var now = Stopwatch.GetTimestamp();
        var runtimes = _services.GetRequiredService<ModelRuntimeRegistry>();
        foreach (var model in _services.GetRequiredService<IModelCatalog>().Models)
        {
            if (!runtimes.TryGetLoaded(model.Name, out var runtime))
            {
                continue;
            }

            var stats = runtime.Denoiser.GetStats();
            _runSeconds.WithLabels(model.Name).IncTo(stats.TotalRunTime.TotalSeconds);
            _queue.WithLabels(model.Name).Set(stats.QueueDepth);
            lock (_previous)
            {
                if (_previous.TryGetValue(model.Name, out var before))
                {
                    var wall = Stopwatch.GetElapsedTime(before.Timestamp, now).TotalSeconds * Math.Max(1, stats.Workers);
                    if (wall > 0)
                    {
                        _busy.WithLabels(model.Name).Set(Math.Clamp((stats.TotalRunTime - before.RunTime).TotalSeconds / wall, 0, 1));
                    }
                }

                _previous[model.Name] = (now, stats.TotalRunTime);
            }
        }
    }
}
