namespace StreamDiffusion.Pipeline.Models;

/// <summary>
/// A denoiser call of one latent shape bound once to fixed buffers (<see cref="INoisePredictor.Bind"/>):
/// each <see cref="Run"/> reads the latents, timesteps and embeddings buffers and writes ε into the
/// noise buffer with no tensor creation or copy. One owner calls it, one call at a time.
/// </summary>
public interface INoisePredictorCall : IDisposable
{
    /// <summary>Runs the denoiser on the bound buffers.</summary>
    /// <param name="cancellationToken">
    /// Cancelling it stops a running call between graph nodes (ONNX Runtime's terminate flag); the call then
    /// throws <see cref="OperationCanceledException"/> and the noise buffer holds garbage.
    /// </param>
    void Run(CancellationToken cancellationToken);
}
