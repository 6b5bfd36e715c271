using System.Numerics.Tensors;
using StreamDiffusion.Pipeline.Scheduling;

namespace StreamDiffusion.Pipeline.LongVideo;

/// <summary>
/// Ouroboros-style subject memory and self-recurrent guidance. The bank is a moving average of the clean
/// latents x̂₀ of the frames leaving the head, b ← μ·b + (1 − μ)·x̂₀ (the first frame sets it). The saliency
/// mask comes from the bank itself, because the ONNX denoiser exposes no attention maps: per latent position
/// p, the channel energy of the bank's deviation from its spatial mean, e(p) = √Σ_c (b_c(p) − mean_c)², is
/// normalised by its mean over positions and softened by a logistic, m(p) = 1 / (1 + exp(−k·(e(p)/ē − 1)))
/// with k = <see cref="MaskSharpness"/>: in (0, 1), above ½ where the bank stands out from its background.
/// Noisier frames are then nudged toward the bank by one gradient step on the masked L2
/// ℒ(x_t) = ½ Σ m·(x̂₀(x_t) − b)², x̂₀ = (x_t − σ_t·ε)/α_t.
/// </summary>
/// <remarks>
/// The approximation: the denoiser is an opaque ONNX graph (no autograd), so ε is held constant with respect
/// to x_t. Then ∂x̂₀/∂x_t = 1/α_t = 1/√ᾱ_t and ∇ℒ = m·(x̂₀ − b)/√ᾱ_t exactly, a cheap analytic gradient with no
/// extra denoiser call (the real Jacobian of ε is ignored). The step is x_t ← x_t − η′·∇ℒ with
/// η′ = min(η, ᾱ_t): ℒ's curvature in x_t is m/ᾱ_t ≤ 1/ᾱ_t, so η′ ≤ ᾱ_t never steps past the bank (a larger
/// step would overshoot and oscillate at the noisiest levels, where ᾱ_t is tiny). The same ε then takes the
/// slot to its next level. Allocation-free after construction.
/// </remarks>
public sealed class SubjectMemory
{
    /// <summary>Default moving-average momentum μ of the bank.</summary>
    public const double DefaultMomentum = 0.9;

    /// <summary>Default step size η.</summary>
    public const double DefaultStep = 0.05;

    /// <summary>Logistic sharpness k of the saliency mask.</summary>
    public const float MaskSharpness = 4f;

    private readonly float[] _bank;
    private readonly float[] _mask;
    private readonly float[] _channelMean;

    /// <summary>Creates an empty memory for [channels, height, width] latents.</summary>
    public SubjectMemory(int channels, int height, int width, double momentum = DefaultMomentum, double step = DefaultStep)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (!(momentum >= 0 && momentum < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "the momentum must lie in [0, 1)");
        }

        if (!(step > 0 && step <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "the step must lie in (0, 1]");
        }

        Channels = channels;
        Plane = height * width;
        Momentum = momentum;
        Step = step;
        _bank = new float[channels * Plane];
        _mask = new float[Plane];
        _channelMean = new float[channels];
    }

    /// <summary>Latent channels.</summary>
    public int Channels { get; }

    /// <summary>Positions per channel (height·width).</summary>
    public int Plane { get; }

    /// <summary>Moving-average momentum μ.</summary>
    public double Momentum { get; }

    /// <summary>Step size η (before the clip to ᾱ_t).</summary>
    public double Step { get; }

    /// <summary>Head frames folded into the bank so far; no guidance before the first.</summary>
    public long Updates { get; private set; }

    /// <summary>The bank, [channels, height, width].</summary>
    public ReadOnlySpan<float> Bank => _bank;

    /// <summary>The saliency mask, [height, width], each value in [0, 1].</summary>
    public ReadOnlySpan<float> Mask => _mask;

    /// <summary>Folds the clean latent of the frame leaving the head into the bank and recomputes the mask.</summary>
    public void Update(ReadOnlySpan<float> cleanLatent)
    {
        if (cleanLatent.Length != _bank.Length)
        {
            throw new ArgumentException($"latents must hold {_bank.Length} floats", nameof(cleanLatent));
        }

        if (Updates == 0)
        {
            cleanLatent.CopyTo(_bank);
        }
        else
        {
            // b ← μ·b + (1 − μ)·x̂₀ = x̂₀ + μ·(b − x̂₀).
            TensorPrimitives.Lerp(cleanLatent, _bank, (float)Momentum, _bank);
        }

        Updates++;
        ComputeMask(_bank, Channels, _mask, _channelMean);
    }

    /// <summary>
    /// The saliency mask of a latent: m(p) = logistic(k·(e(p)/ē − 1)) with e(p) the channel energy of the
    /// deviation from each channel's spatial mean. A flat latent has no subject: mask 0.
    /// </summary>
    public static void ComputeMask(ReadOnlySpan<float> latent, int channels, Span<float> mask, Span<float> channelMean)
    {
        var plane = mask.Length;
        if (latent.Length != channels * plane || channelMean.Length != channels)
        {
            throw new ArgumentException($"a latent of {channels} x {plane} needs a mask of {plane} and {channels} channel means", nameof(mask));
        }

        for (int c = 0; c < channels; c++)
        {
            channelMean[c] = TensorPrimitives.Sum(latent.Slice(c * plane, plane)) / plane;
        }

        double total = 0;
        for (int p = 0; p < plane; p++)
        {
            double energy = 0;
            for (int c = 0; c < channels; c++)
            {
                double d = latent[(c * plane) + p] - channelMean[c];
                energy += d * d;
            }

            mask[p] = (float)Math.Sqrt(energy);
            total += mask[p];
        }

        var mean = total / plane;
        if (!(mean > 1e-12))
        {
            mask.Clear();
            return;
        }

        for (int p = 0; p < plane; p++)
        {
            mask[p] = (float)(1.0 / (1.0 + Math.Exp(-MaskSharpness * ((mask[p] / mean) - 1.0))));
        }
    }

    /// <summary>ℒ = ½ Σ m·(x̂₀ − b)² with x̂₀ = (x_t − σ_t·ε)/α_t (for checks; ε as the denoiser gave it).</summary>
    public double Loss(ReadOnlySpan<float> latent, ReadOnlySpan<float> epsilon, NoiseSchedule schedule, int timestep)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        CheckLengths(latent, epsilon);
        double alpha = schedule.Alpha(timestep), sigma = schedule.Sigma(timestep);
        double sum = 0;
        for (int i = 0; i < latent.Length; i++)
        {
            var residual = ((latent[i] - (sigma * epsilon[i])) / alpha) - _bank[i];
            sum += _mask[i % Plane] * residual * residual;
        }

        return 0.5 * sum;
    }

    /// <summary>∇ℒ with respect to x_t with ε held constant: m·(x̂₀ − b)/√ᾱ_t.</summary>
    public void Gradient(ReadOnlySpan<float> latent, ReadOnlySpan<float> epsilon, NoiseSchedule schedule, int timestep, Span<float> gradient)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        CheckLengths(latent, epsilon);
        if (gradient.Length != latent.Length)
        {
            throw new ArgumentException($"the gradient must hold {latent.Length} floats", nameof(gradient));
        }

        double alpha = schedule.Alpha(timestep), sigma = schedule.Sigma(timestep);
        for (int i = 0; i < latent.Length; i++)
        {
            var residual = ((latent[i] - (sigma * epsilon[i])) / alpha) - _bank[i];
            gradient[i] = (float)(_mask[i % Plane] * residual / alpha);
        }
    }

    /// <summary>The step size used at <paramref name="timestep"/>: η′ = min(η, ᾱ_t).</summary>
    public double StepAt(NoiseSchedule schedule, int timestep)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return Math.Min(Step, schedule.AlphaBar(timestep));
    }

    /// <summary>
    /// One guidance step in place: x_t ← x_t − η′·∇ℒ (see the remarks for the ε-constant approximation).
    /// Does nothing before the first <see cref="Update"/>.
    /// </summary>
    public void Guide(Span<float> latent, ReadOnlySpan<float> epsilon, NoiseSchedule schedule, int timestep)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        CheckLengths(latent, epsilon);
        if (Updates == 0)
        {
            return;
        }

        double alpha = schedule.Alpha(timestep), sigma = schedule.Sigma(timestep);
        var scale = StepAt(schedule, timestep) / alpha;
        for (int i = 0; i < latent.Length; i++)
        {
            var residual = ((latent[i] - (sigma * epsilon[i])) / alpha) - _bank[i];
            latent[i] -= (float)(scale * _mask[i % Plane] * residual);
        }
    }

    private void CheckLengths(ReadOnlySpan<float> latent, ReadOnlySpan<float> epsilon)
    {
        if (latent.Length != _bank.Length || epsilon.Length != _bank.Length)
        {
            throw new ArgumentException($"latent and noise must hold {_bank.Length} floats ({Channels} x {Plane})", nameof(latent));
        }
    }
}
