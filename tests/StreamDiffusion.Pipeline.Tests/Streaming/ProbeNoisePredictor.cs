using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Tests.Streaming;

/// <summary>
/// A deterministic stand-in for the UNet: ε = a·x + 0.05·tanh(x) + b(t) + c·mean(embedding), item by
/// item, plus call and item counters. The tanh keeps it from being purely linear so that CFG and the
/// stock-noise bookkeeping are exercised on something a linear shortcut cannot fake.
/// </summary>
internal sealed class ProbeNoisePredictor : INoisePredictor
{
    public const int Hidden = 8;
    public const int Tokens = 4;
    public const int EmbeddingLength = Hidden * Tokens;

    public int HiddenSize => Hidden;

    public int Calls { get; private set; }

    public long Items { get; private set; }

    /// <summary>Item count of each call (not recorded when <see cref="Record"/> is false).</summary>
    public List<int> ItemsPerCall { get; } = [];

    /// <summary>Timesteps of each call.</summary>
    public List<float[]> TimestepsPerCall { get; } = [];

    public bool Record { get; set; } = true;

    public static void Predict(ReadOnlySpan<float> x, float t, ReadOnlySpan<float> embedding, Span<float> eps)
    {
        float mean = 0;
        foreach (float e in embedding)
        {
            mean += e;
        }

        mean /= embedding.Length;
        float bias = 0.1f * MathF.Sin(t / 100f);
        for (int i = 0; i < x.Length; i++)
        {
            eps[i] = (0.3f * x[i]) + (0.05f * MathF.Tanh(x[i])) + bias + (0.5f * mean) + (0.01f * (i % 7));
        }
    }

    public ValueTask PredictNoiseAsync(
        ReadOnlyMemory<float> latents,
        ReadOnlyMemory<float> timesteps,
        ReadOnlyMemory<float> textEmbeddings,
        Memory<float> noise,
        LatentShape shape,
        CancellationToken cancellationToken = default)
    {
        int items = shape.Batch;
        int itemLength = shape.ItemLength;
        if (latents.Length != shape.Length || noise.Length != shape.Length || timesteps.Length != items
            || textEmbeddings.Length != items * EmbeddingLength)
        {
            throw new InvalidOperationException("Probe received inconsistent buffers.");
        }

        for (int i = 0; i < items; i++)
        {
            Predict(
                latents.Span.Slice(i * itemLength, itemLength),
                timesteps.Span[i],
                textEmbeddings.Span.Slice(i * EmbeddingLength, EmbeddingLength),
                noise.Span.Slice(i * itemLength, itemLength));
        }

        Calls++;
        Items += items;
        if (Record)
        {
            ItemsPerCall.Add(items);
            TimestepsPerCall.Add(timesteps.ToArray());
        }

        return ValueTask.CompletedTask;
    }
}
