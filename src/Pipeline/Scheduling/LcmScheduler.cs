using System.Numerics.Tensors;

namespace StreamDiffusion.Pipeline.Scheduling;

/// <summary>
/// Latent Consistency Model sampling as StreamDiffusion uses it: a t_index list points into the
/// original LCM grid of <see cref="OriginalSteps"/> timesteps (t(index) = T/N·(N − index) − 1, so
/// 999 − 20·index for N = 50 over T = 1000), and each step maps (x_t, ε) straight to a clean estimate
/// x̂₀ with the consistency boundary conditions. Stateless and thread-safe.
/// </summary>
public sealed class LcmScheduler
{
    /// <summary>Creates a scheduler over <paramref name="schedule"/>.</summary>
    /// <param name="schedule">The training noise schedule.</param>
    /// <param name="originalSteps">Original LCM inference steps N (50).</param>
    /// <param name="timestepScaling">Boundary-condition timestep scaling (10).</param>
    /// <param name="sigmaData">σ_data of the boundary conditions (0.5).</param>
    public LcmScheduler(NoiseSchedule schedule, int originalSteps = 50, double timestepScaling = 10.0, double sigmaData = 0.5)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentOutOfRangeException.ThrowIfLessThan(originalSteps, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(originalSteps, schedule.Length);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(timestepScaling);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sigmaData);
        Schedule = schedule;
        OriginalSteps = originalSteps;
        TimestepScaling = timestepScaling;
        SigmaData = sigmaData;
    }

    /// <summary>Builds the schedule and scheduler from a pack's scheduler config.</summary>
    public static LcmScheduler FromConfig(SchedulerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new LcmScheduler(new NoiseSchedule(config), config.OriginalInferenceSteps, config.TimestepScaling);
    }

    /// <summary>The training noise schedule.</summary>
    public NoiseSchedule Schedule { get; }

    /// <summary>Original LCM inference steps N: valid t_index values are 0 .. N − 1.</summary>
    public int OriginalSteps { get; }

    /// <summary>Boundary-condition timestep scaling.</summary>
    public double TimestepScaling { get; }

    /// <summary>σ_data of the boundary conditions.</summary>
    public double SigmaData { get; }

    /// <summary>Training timestep of grid position <paramref name="index"/>: T/N·(N − index) − 1.</summary>
    public int Timestep(int index)
    {
        if ((uint)index >= (uint)OriginalSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"t_index must lie in [0, {OriginalSteps - 1}].");
        }

        return (Schedule.Length / OriginalSteps * (OriginalSteps - index)) - 1;
    }

    /// <summary>
    /// The t_index list diffusers' LCMScheduler (≥ 0.24) uses for <paramref name="steps"/> steps at full
    /// strength: floor(linspace(0, N, steps, endpoint=False)) into the grid, e.g. 4 steps → 0, 12, 25, 37.
    /// </summary>
    public int[] TIndexForSteps(int steps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(steps, OriginalSteps);
        var indices = new int[steps];
        for (int i = 0; i < steps; i++)
        {
            // Integer floor of i·N/steps, exactly numpy's floor(linspace(...)) for these ranges.
            indices[i] = i * OriginalSteps / steps;
        }

        return indices;
    }

    /// <summary>The schedule values and boundary coefficients at training timestep <paramref name="t"/>.</summary>
    public LcmStepCoefficients Coefficients(int t)
    {
        double s = TimestepScaling * t;
        double sd2 = SigmaData * SigmaData;
        double cSkip = sd2 / ((s * s) + sd2);
        double cOut = s / Math.Sqrt((s * s) + sd2);
        return new LcmStepCoefficients(t, Schedule.Alpha(t), Schedule.Sigma(t), cSkip, cOut);
    }

    /// <summary>
    /// One LCM step: F = (x_t − σ·ε)/α, x̂₀ = c_out·F + c_skip·x_t. <paramref name="denoised"/> may be
    /// the same span as <paramref name="latents"/> or <paramref name="noise"/>, but must not partly overlap them.
    /// </summary>
    public void Step(ReadOnlySpan<float> latents, ReadOnlySpan<float> noise, int t, Span<float> denoised) =>
        Step(latents, noise, Coefficients(t), denoised);

    /// <summary>One LCM step with precomputed coefficients (see <see cref="Step(ReadOnlySpan{float}, ReadOnlySpan{float}, int, Span{float})"/>).</summary>
    public static void Step(ReadOnlySpan<float> latents, ReadOnlySpan<float> noise, in LcmStepCoefficients c, Span<float> denoised)
    {
        CheckLengths(latents, noise, denoised);

        // x̂₀ = a·x + b·ε, folded into two vectorized passes.
        LinearCombination(latents, (float)c.LatentScale, noise, (float)c.NoiseScale, denoised);
    }

    /// <summary>Forward diffusion to t: x_t = α_t·x₀ + σ_t·η.</summary>
    public void AddNoise(ReadOnlySpan<float> clean, ReadOnlySpan<float> noise, int t, Span<float> noisy)
    {
        CheckLengths(clean, noise, noisy);
        LinearCombination(clean, (float)Schedule.Alpha(t), noise, (float)Schedule.Sigma(t), noisy);
    }

    /// <summary>destination = a·x + b·y (destination may alias x or y exactly).</summary>
    internal static void LinearCombination(ReadOnlySpan<float> x, float a, ReadOnlySpan<float> y, float b, Span<float> destination)
    {
        if (destination.Overlaps(x) && !destination.Overlaps(y))
        {
            TensorPrimitives.Multiply(x, a, destination);
            TensorPrimitives.MultiplyAdd(y, b, destination, destination);
        }
        else
        {
            TensorPrimitives.Multiply(y, b, destination);
            TensorPrimitives.MultiplyAdd(x, a, destination, destination);
        }
    }

    private static void CheckLengths(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> destination)
    {
        if (a.Length != b.Length || a.Length != destination.Length)
        {
            throw new ArgumentException($"Span lengths differ: {a.Length}, {b.Length}, {destination.Length}.", nameof(destination));
        }
    }
}
