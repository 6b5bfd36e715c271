using StreamDiffusion.Pipeline.Streaming;
using StreamDiffusion.Pipeline.Tests.Scheduling;

namespace StreamDiffusion.Pipeline.Tests.Streaming;

/// <summary>
/// Runs the n LCM steps of one frame block one after the other, in double precision where possible,
/// straight from the formulas in DESIGN.md section 4 — the result Stream Batch must reproduce.
/// </summary>
internal static class SequentialReference
{
    /// <param name="clean">f encoded latents (img2img) or null (txt2img: start from η₀).</param>
    /// <param name="noise">η_k for each step k, f latents each.</param>
    public static float[] Denoise(
        float[]? clean,
        float[][] noise,
        IReadOnlyList<int> tIndex,
        CfgMode mode,
        float g,
        float delta,
        float[] prompt,
        float[]? negative,
        int itemLength)
    {
        int n = tIndex.Count;
        int length = noise[0].Length;
        int frames = length / itemLength;
        var (alpha0, sigma0, _, _) = ReferenceSchedule.Lcm(ReferenceSchedule.Timestep(tIndex[0]));
        var x = new double[length];
        for (int i = 0; i < length; i++)
        {
            x[i] = clean is null ? noise[0][i] : (alpha0 * clean[i]) + (sigma0 * noise[0][i]);
        }

        double[]? stockDelta = null;
        var x0 = new double[length];
        for (int k = 0; k < n; k++)
        {
            int t = ReferenceSchedule.Timestep(tIndex[k]);
            var (alpha, sigma, cSkip, cOut) = ReferenceSchedule.Lcm(t);
            float[] epsC = Probe(x, t, prompt, frames, itemLength);
            var eps = new double[length];
            var stock = new double[length];
            switch (mode)
            {
                case CfgMode.None:
                    for (int i = 0; i < length; i++)
                    {
                        eps[i] = epsC[i];
                    }

                    break;
                case CfgMode.Full:
                    float[] epsU = Probe(x, t, negative!, frames, itemLength);
                    for (int i = 0; i < length; i++)
                    {
                        eps[i] = epsU[i] + (g * (epsC[i] - epsU[i]));
                    }

                    break;
                default:
                    float[]? real = mode == CfgMode.Initialize && k == 0 ? Probe(x, t, negative!, frames, itemLength) : null;
                    for (int i = 0; i < length; i++)
                    {
                        stock[i] = k == 0 ? (real is null ? noise[0][i] : real[i]) : noise[k][i] + stockDelta![i];
                        double uncond = delta * stock[i];
                        eps[i] = uncond + (g * (epsC[i] - uncond));
                    }

                    break;
            }

            for (int i = 0; i < length; i++)
            {
                x0[i] = (cOut * (x[i] - (sigma * eps[i])) / alpha) + (cSkip * x[i]);
            }

            if (k < n - 1)
            {
                var (alphaNext, sigmaNext, _, _) = ReferenceSchedule.Lcm(ReferenceSchedule.Timestep(tIndex[k + 1]));
                if (mode is CfgMode.Self or CfgMode.Initialize)
                {
                    stockDelta = new double[length];
                    for (int i = 0; i < length; i++)
                    {
                        double scaled = sigma * stock[i];
                        double step = (cOut * (scaled - (sigma * eps[i])) / alpha) + (cSkip * scaled);
                        stockDelta[i] = alphaNext * step / sigmaNext;
                    }
                }

                for (int i = 0; i < length; i++)
                {
                    x[i] = (alphaNext * x0[i]) + (sigmaNext * noise[k + 1][i]);
                }
            }
        }

        return [.. x0.Select(v => (float)v)];
    }

    /// <summary>η_k of a single-seed stream: documented as block k's own generator sequence.</summary>
    public static float[][] StreamNoise(long seed, int steps, int blockLength)
    {
        var noise = new float[steps][];
        for (int k = 0; k < steps; k++)
        {
            noise[k] = new float[blockLength];
            new GaussianNoiseGenerator(seed, k).Fill(noise[k]);
        }

        return noise;
    }

    private static float[] Probe(double[] x, int t, float[] embedding, int frames, int itemLength)
    {
        float[] xf = [.. x.Select(v => (float)v)];
        var eps = new float[xf.Length];
        for (int f = 0; f < frames; f++)
        {
            ProbeNoisePredictor.Predict(xf.AsSpan(f * itemLength, itemLength), t, embedding, eps.AsSpan(f * itemLength, itemLength));
        }

        return eps;
    }
}
