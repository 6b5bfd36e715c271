namespace StreamDiffusion.Pipeline.Models;

/// <summary>
/// Predicts the noise ε in a batch of noisy latents (what a diffusion UNet does).
/// Implemented by the ONNX UNet wrapper, by the batching engine that fronts it, and by probe
/// denoisers in tests. Every batch item carries its own timestep and its own text embedding,
/// which is what lets Stream Batch and the engine mix steps and sessions in one call.
/// </summary>
public interface INoisePredictor
{
    /// <summary>Width D of the text embeddings this predictor expects ([B, 77, D]).</summary>
    int HiddenSize { get; }

    /// <summary>
    /// Writes ε for each item.
    /// </summary>
    /// <param name="latents">Noisy latents, <paramref name="shape"/> in NCHW order, flattened.</param>
    /// <param name="timesteps">One training timestep (0..999) per batch item.</param>
    /// <param name="textEmbeddings">One [77, D] text embedding per batch item, flattened.</param>
    /// <param name="noise">Destination for ε, same length as <paramref name="latents"/>.</param>
    /// <param name="shape">Shape of <paramref name="latents"/>.</param>
    /// <param name="cancellationToken">Cancels the wait; a call already running on the device completes.</param>
    ValueTask PredictNoiseAsync(
        ReadOnlyMemory<float> latents,
        ReadOnlyMemory<float> timesteps,
        ReadOnlyMemory<float> textEmbeddings,
        Memory<float> noise,
        LatentShape shape,
        CancellationToken cancellationToken = default);
}
