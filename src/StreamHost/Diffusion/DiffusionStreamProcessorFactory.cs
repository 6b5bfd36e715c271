using StreamDiffusion.StreamHost.Services;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Diffusion;

/// <summary>Creates the real frame processor: one <see cref="Pipeline.Streaming.ImageStream"/> per session on the model's shared runtime.</summary>
public sealed class DiffusionStreamProcessorFactory(ModelRuntimeRegistry registry) : IStreamProcessorFactory
{
    /// <inheritdoc />
    public string Name => "diffusion";

    /// <inheritdoc />
    public async ValueTask<IStreamProcessor> CreateAsync(ModelDescriptor model, SessionSettings settings, CancellationToken cancellationToken)
    {
        var runtime = await registry.GetAsync(model, cancellationToken).ConfigureAwait(false);
        return await DiffusionStreamProcessor.CreateAsync(runtime, settings, cancellationToken).ConfigureAwait(false);
    }
}
