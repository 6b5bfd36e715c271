using StreamDiffusion.StreamHost.Services;

namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// Creates the processor of each session (Stream call or Generate call). Registered as a singleton; replace the
/// default <see cref="EchoStreamProcessorFactory"/> through the <c>configure</c> callback of
/// <c>ServeCommand.Build</c> to plug in the diffusion pipeline.
/// </summary>
public interface IStreamProcessorFactory
{
    /// <summary>Short name reported in Capabilities and logs (e.g. "echo", "diffusion").</summary>
    string Name { get; }

    /// <summary>Creates a processor configured from validated settings for the resolved model.</summary>
    ValueTask<IStreamProcessor> CreateAsync(ModelDescriptor model, SessionSettings settings, CancellationToken cancellationToken);
}
