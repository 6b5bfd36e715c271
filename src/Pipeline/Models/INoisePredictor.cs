using StreamDiffusion.Pipeline.Models.Onnx;

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

    /// <summary>
    /// Binds calls of <paramref name="shape"/> to fixed buffers once, so repeated calls create no
    /// tensors and copy nothing; null when this predictor cannot bind (a float16 or scalar-timestep
    /// graph, an engine, a test double), and callers then use <see cref="PredictNoiseAsync"/>.
    /// </summary>
    /// <param name="shape">The latent shape of every call (its batch included).</param>
    /// <param name="latents">Input: shape.Length floats.</param>
    /// <param name="timesteps">Input: shape.TimestepCount floats.</param>
    /// <param name="textEmbeddings">Input: shape.Batch [77, D] embeddings.</param>
    /// <param name="noise">Output: shape.Length floats.</param>
    INoisePredictorCall? Bind(LatentShape shape, PinnedBuffer<float> latents, PinnedBuffer<float> timesteps, PinnedBuffer<float> textEmbeddings, PinnedBuffer<float> noise) => null;
}
