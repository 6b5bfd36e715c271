using System.Numerics.Tensors;

namespace StreamDiffusion.Pipeline.Batching;

/// <summary>
/// Checks a request's slice of a model output before it is copied back: a NaN or an infinity would otherwise
/// spread through a stream's latents (Stream Batch feeds each output back in) and come out as a black or
/// garbage picture, with nothing in the log.
/// </summary>
internal static class FiniteOutput
{
    /// <summary>Throws <see cref="NonFiniteOutputException"/> unless every value is finite.</summary>
    /// <remarks>One vectorized pass over memory the copy reads next anyway, well under 1 % of a model call.</remarks>
    public static void Ensure(ReadOnlySpan<float> values, string model)
    {
        if (!TensorPrimitives.IsFiniteAll(values))
        {
            throw new NonFiniteOutputException($"the {model} returned NaN or infinite values; the output was discarded");
        }
    }
}
