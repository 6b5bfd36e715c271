using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Diffusion;

/// <summary>
/// Loads every configured model before the host accepts calls, so a malformed pack or a missing
/// execution provider stops the start with its message instead of failing the first session.
/// </summary>
public sealed class ModelPreloadService(IStreamProcessorFactory processors, ModelRuntimeRegistry registry) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        processors is DiffusionStreamProcessorFactory ? registry.PreloadAsync(cancellationToken) : Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
