namespace StreamDiffusion.Pipeline.Scheduling;

/// <summary>
/// One deterministic DDIM step (η = 0) from timestep t to an earlier timestep t_prev, as a linear
/// combination: x_{t_prev} = α_prev·x̂₀ + σ_prev·ε with x̂₀ = (x_t − σ_t·ε)/α_t, i.e.
/// x_{t_prev} = <see cref="LatentScale"/>·x_t + <see cref="NoiseScale"/>·ε. Used by the FIFO long-video path,
/// where every queue slot steps from its own timestep to the next one.
/// </summary>
/// <param name="Timestep">t.</param>
/// <param name="PreviousTimestep">t_prev, or −1 for the final step to the clean latent (ᾱ = 1).</param>
/// <param name="LatentScale">α_prev / α_t.</param>
/// <param name="NoiseScale">σ_prev − α_prev·σ_t/α_t.</param>
public readonly record struct DdimCoefficients(int Timestep, int PreviousTimestep, double LatentScale, double NoiseScale)
{
    /// <summary>Coefficients for a step from <paramref name="t"/> to <paramref name="previousTimestep"/> (−1: to x₀).</summary>
    public static DdimCoefficients Create(NoiseSchedule schedule, int t, int previousTimestep)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        if (previousTimestep >= t)
        {
            throw new ArgumentOutOfRangeException(nameof(previousTimestep), previousTimestep, $"The previous timestep must be below t = {t}.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(previousTimestep, -1);
        double alpha = schedule.Alpha(t);
        double sigma = schedule.Sigma(t);

        // diffusers' set_alpha_to_one: stepping past t = 0 lands on the clean latent.
        double alphaPrev = previousTimestep < 0 ? 1.0 : schedule.Alpha(previousTimestep);
        double sigmaPrev = previousTimestep < 0 ? 0.0 : schedule.Sigma(previousTimestep);
        return new DdimCoefficients(t, previousTimestep, alphaPrev / alpha, sigmaPrev - (alphaPrev * sigma / alpha));
    }

    /// <summary>
    /// <paramref name="count"/> timesteps spread evenly over [0, trainSteps − 1], noisiest first
    /// (e.g. 4 over 1000 → 999, 666, 333, 0).
    /// </summary>
    public static int[] SpreadTimesteps(int count, int trainSteps = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(trainSteps, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, trainSteps);
        var timesteps = new int[count];
        for (int i = 0; i < count; i++)
        {
            timesteps[i] = count == 1
                ? trainSteps - 1
                : (int)Math.Round((trainSteps - 1) * (1.0 - ((double)i / (count - 1))), MidpointRounding.AwayFromZero);
        }

        return timesteps;
    }

    /// <summary>destination = LatentScale·x_t + NoiseScale·ε (destination may alias one input exactly).</summary>
    public void Apply(ReadOnlySpan<float> latents, ReadOnlySpan<float> noise, Span<float> destination)
    {
        if (latents.Length != noise.Length || latents.Length != destination.Length)
        {
            throw new ArgumentException($"Span lengths differ: {latents.Length}, {noise.Length}, {destination.Length}.", nameof(destination));
        }

        LcmScheduler.LinearCombination(latents, (float)LatentScale, noise, (float)NoiseScale, destination);
    }
}
