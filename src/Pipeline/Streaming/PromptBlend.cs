using System.Numerics.Tensors;

namespace StreamDiffusion.Pipeline.Streaming;

/// <summary>
/// Pure functions that blend several weighted prompt embeddings into one. Two prompts are blended by
/// spherical interpolation token by token (each row of D floats), which keeps the norm profile of CLIP
/// hidden states where a linear mix would shrink it; three or more by a weighted sum with weights
/// normalised to 1.
/// </summary>
public static class PromptBlend
{
    /// <summary>Blends <paramref name="prompts"/>; every embedding must have the same length, a multiple of <paramref name="hiddenSize"/>.</summary>
    /// <exception cref="ArgumentException">Empty list, mismatched lengths, negative weights or a zero total weight.</exception>
    public static float[] Blend(IReadOnlyList<WeightedEmbedding> prompts, int hiddenSize)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenSize, 1);
        if (prompts.Count == 0)
        {
            throw new ArgumentException("At least one prompt embedding is needed.", nameof(prompts));
        }

        int length = prompts[0].Embedding?.Length ?? 0;
        double total = 0;
        for (int i = 0; i < prompts.Count; i++)
        {
            WeightedEmbedding p = prompts[i];
            if (p.Embedding is null || p.Embedding.Length != length || length == 0 || length % hiddenSize != 0)
            {
                throw new ArgumentException(
                    $"Prompt embedding {i} must be non-empty, a multiple of the hidden size {hiddenSize}, and as long as the others ({length}).",
                    nameof(prompts));
            }

            if (!(p.Weight >= 0) || float.IsInfinity(p.Weight))
            {
                throw new ArgumentException($"Prompt weight {i} must be a finite number ≥ 0, got {p.Weight}.", nameof(prompts));
            }

            total += p.Weight;
        }

        if (!(total > 0))
        {
            throw new ArgumentException("Prompt weights must not all be zero.", nameof(prompts));
        }

        var result = new float[length];
        if (prompts.Count == 1)
        {
            prompts[0].Embedding.CopyTo(result, 0);
        }
        else if (prompts.Count == 2)
        {
            float t = (float)(prompts[1].Weight / total);
            for (int offset = 0; offset < length; offset += hiddenSize)
            {
                Slerp(
                    prompts[0].Embedding.AsSpan(offset, hiddenSize),
                    prompts[1].Embedding.AsSpan(offset, hiddenSize),
                    t,
                    result.AsSpan(offset, hiddenSize));
            }
        }
        else
        {
            foreach (WeightedEmbedding p in prompts)
            {
                TensorPrimitives.MultiplyAdd(p.Embedding, (float)(p.Weight / total), result, result);
            }
        }

        return result;
    }

    /// <summary>
    /// Spherical interpolation from <paramref name="a"/> (t = 0) to <paramref name="b"/> (t = 1) of unnormalised
    /// vectors; falls back to linear interpolation when they are (anti)parallel or one is zero.
    /// </summary>
    public static void Slerp(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float t, Span<float> destination)
    {
        if (a.Length != b.Length || a.Length != destination.Length)
        {
            throw new ArgumentException("Span lengths differ.", nameof(destination));
        }

        double normA = TensorPrimitives.Norm(a);
        double normB = TensorPrimitives.Norm(b);
        double cos = normA > 1e-12 && normB > 1e-12 ? TensorPrimitives.Dot(a, b) / (normA * normB) : 1.0;
        double wa;
        double wb;
        if (Math.Abs(cos) > 0.9995)
        {
            wa = 1.0 - t;
            wb = t;
        }
        else
        {
            double theta = Math.Acos(cos);
            double sinTheta = Math.Sin(theta);
            wa = Math.Sin((1.0 - t) * theta) / sinTheta;
            wb = Math.Sin(t * theta) / sinTheta;
        }

        TensorPrimitives.Multiply(a, (float)wa, destination);
        TensorPrimitives.MultiplyAdd(b, (float)wb, destination, destination);
    }
}
