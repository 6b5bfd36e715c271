using System.Runtime.InteropServices;
using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Tests.Batching;

/// <summary>One request's random inputs, its output buffer, and the ε the probe gives when called directly.</summary>
internal sealed class DenoiseWork
{
    private static readonly ProbeNoisePredictor s_direct = new();

    public DenoiseWork(Random random, LatentShape shape)
    {
        Shape = shape;
        Latents = Fill(random, shape.Length, 2f);
        Timesteps = new float[shape.Batch];
        for (var i = 0; i < Timesteps.Length; i++)
        {
            Timesteps[i] = random.Next(0, 1000);
        }

        Embeddings = Fill(random, shape.Batch * ProbeNoisePredictor.EmbeddingLength, 1f);
        Noise = new float[shape.Length];
        Noise.AsSpan().Fill(float.NaN);
    }

    public LatentShape Shape { get; }

    public float[] Latents { get; }

    public float[] Timesteps { get; }

    public float[] Embeddings { get; }

    public float[] Noise { get; }

    public Task SubmitAsync(DenoiserEngine engine, CancellationToken cancellationToken = default) =>
        engine.PredictNoiseAsync(Latents, Timesteps, Embeddings, Noise, Shape, cancellationToken).AsTask();

    /// <summary>ε from the probe alone, unbatched.</summary>
    public float[] Expected()
    {
        var expected = new float[Shape.Length];
        var pending = s_direct.PredictNoiseAsync(Latents, Timesteps, Embeddings, expected, Shape);
        Assert.True(pending.IsCompletedSuccessfully);
        return expected;
    }

    /// <summary>Bitwise comparison of the engine's ε with the direct one.</summary>
    public void AssertMatchesDirect()
    {
        var expected = Expected();
        var same = MemoryMarshal.Cast<float, int>(expected).SequenceEqual(MemoryMarshal.Cast<float, int>(Noise));
        Assert.True(same, $"batched ε differs from the direct ε for a {Shape} request");
    }

    private static float[] Fill(Random random, int length, float scale)
    {
        var values = new float[length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1) * scale;
        }

        return values;
    }
}
