using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Scheduling;
using StreamDiffusion.Pipeline.Streaming;

namespace StreamDiffusion.Pipeline.Tests.Streaming;

/// <summary>Small shared fixtures: latent sizes, embeddings, input frames, stream construction.</summary>
internal static class StreamTestData
{
    public const int Channels = 4;
    public const int Height = 3;
    public const int Width = 5;
    public const int ItemLength = Channels * Height * Width;

    public static readonly LcmScheduler Scheduler = LcmScheduler.FromConfig(SchedulerConfig.StableDiffusion);

    public static readonly float[] PromptA = Embedding(0.4f, 1);
    public static readonly float[] PromptB = Embedding(-0.6f, 2);
    public static readonly float[] Negative = Embedding(0.05f, 3);

    public static LatentShape Shape(int frames) => new(frames, Channels, Height, Width);

    public static float[] Embedding(float mean, int seed)
    {
        var values = new float[ProbeNoisePredictor.EmbeddingLength];
        var random = new GaussianNoiseGenerator(1000 + seed);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = mean + (0.2f * (float)random.NextGaussian());
        }

        return values;
    }

    /// <summary>Distinct "encoded frames" (f latents each) for calls 0 .. count − 1.</summary>
    public static float[][] Frames(int count, int frames, int seed = 77)
    {
        var result = new float[count][];
        var random = new GaussianNoiseGenerator(seed, 99);
        for (int c = 0; c < count; c++)
        {
            result[c] = new float[frames * ItemLength];
            for (int i = 0; i < result[c].Length; i++)
            {
                result[c][i] = (0.8f * MathF.Sin((0.3f * i) + c)) + (0.3f * (float)random.NextGaussian());
            }
        }

        return result;
    }

    public static StreamSettings Settings(IReadOnlyList<int> tIndex, CfgMode mode = CfgMode.None, float g = 1.5f, float delta = 0.8f, long seed = 5) => new()
    {
        PromptEmbedding = PromptA,
        NegativePromptEmbedding = Negative,
        TIndexList = tIndex,
        CfgMode = mode,
        GuidanceScale = g,
        Delta = delta,
        Seed = seed,
    };

    public static int[] TIndex(int n) => n switch
    {
        1 => [35],
        2 => [32, 45],
        3 => [20, 32, 45],
        4 => [0, 16, 32, 45],
        _ => throw new ArgumentOutOfRangeException(nameof(n)),
    };

    public static float[] Run(StreamBatchDenoiser stream, float[]? frame)
    {
        var output = new float[stream.FrameShape.Length];
        ValueTask task = frame is null ? stream.GenerateAsync(output) : stream.DenoiseAsync(frame, output);
        task.AsTask().GetAwaiter().GetResult();
        return output;
    }

    /// <summary>Steady-state calls with a synchronous probe complete inline; no Task is created.</summary>
    public static void RunSynchronously(StreamBatchDenoiser stream, float[] frame, float[] output, int calls)
    {
        for (int i = 0; i < calls; i++)
        {
            ValueTask task = stream.DenoiseAsync(frame, output);
            if (!task.IsCompletedSuccessfully)
            {
                throw new InvalidOperationException("Expected a synchronous completion.");
            }

            task.GetAwaiter().GetResult();
        }
    }

    public static void AssertClose(float[] expected, float[] actual, double tolerance = 1e-4)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        int worstIndex = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(expected[i] - actual[i]) / (1 + Math.Abs(expected[i]));
            if (!(error <= worst))
            {
                worst = error;
                worstIndex = i;
            }
        }

        Assert.True(worst <= tolerance, $"max relative error {worst:G4} at {worstIndex}: expected {expected[Math.Max(worstIndex, 0)]}, got {actual[Math.Max(worstIndex, 0)]}");
    }

    public static double MaxAbsDifference(float[] a, float[] b)
    {
        double worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        }

        return worst;
    }

    /// <summary>A real denoised output: finite everywhere and not the zero buffer.</summary>
    public static void AssertDenoisedLooking(float[] output)
    {
        Assert.All(output, v => Assert.True(float.IsFinite(v)));
        double norm = Math.Sqrt(output.Sum(v => (double)v * v) / output.Length);
        Assert.True(norm > 0.05, $"output RMS {norm} looks like an empty buffer");
    }
}
