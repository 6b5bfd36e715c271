using System.Numerics.Tensors;

namespace StreamDiffusion.Pipeline.Scheduling;

/// <summary>
/// The training noise schedule: β_t, ᾱ_t = Π_{i≤t}(1 − β_i), α_t = √ᾱ_t and σ_t = √(1 − ᾱ_t), so that
/// a noisy latent is x_t = α_t·x₀ + σ_t·ε. Computed once in double precision; immutable and shareable.
/// </summary>
public sealed class NoiseSchedule
{
    private readonly double[] _betas;
    private readonly double[] _alphaBars;

    /// <summary>Builds the table for <paramref name="config"/>.</summary>
    public NoiseSchedule(SchedulerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        int count = config.NumTrainTimesteps;
        _betas = new double[count];
        _alphaBars = new double[count];
        double product = 1.0;
        for (int i = 0; i < count; i++)
        {
            double fraction = (double)i / (count - 1);
            double beta = config.BetaSchedule switch
            {
                BetaSchedule.ScaledLinear => Square(Math.Sqrt(config.BetaStart) + (fraction * (Math.Sqrt(config.BetaEnd) - Math.Sqrt(config.BetaStart)))),
                _ => config.BetaStart + (fraction * (config.BetaEnd - config.BetaStart)),
            };
            _betas[i] = beta;
            product *= 1.0 - beta;
            _alphaBars[i] = product;
        }
    }

    /// <summary>The config this schedule was built from.</summary>
    public SchedulerConfig Config { get; }

    /// <summary>Number of training timesteps (valid t are 0 .. Length − 1).</summary>
    public int Length => _betas.Length;

    /// <summary>β_t.</summary>
    public double Beta(int t) => _betas[CheckTimestep(t)];

    /// <summary>ᾱ_t, the cumulative product of (1 − β) up to and including t.</summary>
    public double AlphaBar(int t) => _alphaBars[CheckTimestep(t)];

    /// <summary>α_t = √ᾱ_t, the signal scale at t.</summary>
    public double Alpha(int t) => Math.Sqrt(AlphaBar(t));

    /// <summary>σ_t = √(1 − ᾱ_t), the noise scale at t.</summary>
    public double Sigma(int t) => Math.Sqrt(1.0 - AlphaBar(t));

    /// <summary>
    /// Converts a raw model output at timestep <paramref name="t"/> to a noise prediction ε in place, so
    /// that the samplers only ever see ε: v-prediction ε = α·v + σ·x, sample-prediction ε = (x − α·x₀)/σ.
    /// </summary>
    public void ConvertToEpsilon(ReadOnlySpan<float> latents, Span<float> modelOutput, int t)
    {
        if (latents.Length != modelOutput.Length)
        {
            throw new ArgumentException("Latents and model output must have the same length.", nameof(modelOutput));
        }

        float alpha = (float)Alpha(t);
        float sigma = (float)Sigma(t);
        switch (Config.PredictionType)
        {
            case PredictionType.VPrediction:
                TensorPrimitives.Multiply(modelOutput, alpha, modelOutput);
                TensorPrimitives.MultiplyAdd(latents, sigma, modelOutput, modelOutput);
                break;
            case PredictionType.Sample:
                TensorPrimitives.Multiply(modelOutput, -alpha / sigma, modelOutput);
                TensorPrimitives.MultiplyAdd(latents, 1f / sigma, modelOutput, modelOutput);
                break;
            default:
                break;
        }
    }

    private int CheckTimestep(int t)
    {
        if ((uint)t >= (uint)_betas.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(t), t, $"Timestep must lie in [0, {_betas.Length - 1}].");
        }

        return t;
    }

    private static double Square(double x) => x * x;
}
