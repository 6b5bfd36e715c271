using StreamDiffusion.StreamHost.Services;

namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// Factory of <see cref="EchoStreamProcessor"/>: the deterministic stand-in registered until the diffusion pipeline
/// is wired in. It does no diffusion.
/// </summary>
public sealed class EchoStreamProcessorFactory : IStreamProcessorFactory
{
    /// <inheritdoc />
    public string Name => "echo";

    /// <inheritdoc />
    public ValueTask<IStreamProcessor> CreateAsync(ModelDescriptor model, SessionSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return ValueTask.FromResult<IStreamProcessor>(new EchoStreamProcessor(settings));
    }
}
