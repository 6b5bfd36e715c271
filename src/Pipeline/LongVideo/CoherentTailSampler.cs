using System.Numerics.Tensors;
using OpenCvSharp;
using StreamDiffusion.Pipeline.Imaging;
using StreamDiffusion.Pipeline.Scheduling;
using StreamDiffusion.Pipeline.Streaming;

namespace StreamDiffusion.Pipeline.LongVideo;

/// <summary>
/// Ouroboros-style coherent tail sampling. The new tail latent takes its low spatial frequencies from the
/// latent last at the tail (re-noised in closed form to the tail's timestep) and its high frequencies from
/// fresh noise: per channel, tail = IFFT(FFT(a)·G + FFT(η)·(1 − G)) with G = exp(−d²/(2·c²)) a Gaussian
/// low-pass over the normalised frequency d (each axis in [−1, 1], 1 = Nyquist, as FreeInit's filter) and
/// c the cutoff (default 0.25). Structure carries over from frame to frame; detail stays fresh. The
/// result is rescaled to unit second moment per channel, the statistics of the pure noise it replaces.
/// The FFT is OpenCV's (cv::dft), on matrices allocated once.
/// </summary>
public sealed unsafe class CoherentTailSampler : IDisposable
{
    /// <summary>The default cutoff, as a fraction of the normalised frequency.</summary>
    public const double DefaultCutoff = 0.25;

    private readonly NativeMat _spatial = new();
    private readonly NativeMat _spectrum = new();
    private readonly NativeMat _back = new();
    private readonly float[] _filter;
    private readonly float[] _renoised;
    private readonly float[] _fresh;
    private readonly GaussianNoiseGenerator _noise;

    /// <summary>Creates a sampler for [channels, height, width] latents.</summary>
    public CoherentTailSampler(int channels, int height, int width, long seed, double cutoff = DefaultCutoff)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (!(cutoff > 0) || cutoff > 2)
        {
            throw new ArgumentOutOfRangeException(nameof(cutoff), cutoff, "the cutoff must lie in (0, 2]");
        }

        Channels = channels;
        Height = height;
        Width = width;
        Cutoff = cutoff;
        _spatial.Create(height, width, MatType.CV_32FC1);
        _back.Create(height, width, MatType.CV_32FC1);
        _filter = new float[2 * height * width];
        var gaussian = LowPass(height, width, cutoff);
        for (int i = 0; i < gaussian.Length; i++)
        {
            // Interleaved (re, im): the filter is real and scales both parts.
            _filter[2 * i] = gaussian[i];
            _filter[(2 * i) + 1] = gaussian[i];
        }

        _renoised = new float[channels * height * width];
        _fresh = new float[channels * height * width];
        _noise = new GaussianNoiseGenerator(seed, 0x5441494C);
    }

    /// <summary>Latent channels.</summary>
    public int Channels { get; }

    /// <summary>Latent height.</summary>
    public int Height { get; }

    /// <summary>Latent width.</summary>
    public int Width { get; }

    /// <summary>Low-pass cutoff (fraction of the normalised frequency).</summary>
    public double Cutoff { get; }

    /// <summary>
    /// The Gaussian low-pass G over the DFT's frequency grid ([height, width], DC at [0, 0]):
    /// exp(−d²/(2·c²)) with d² = u² + v², u and v the signed frequencies scaled so Nyquist is 1.
    /// </summary>
    public static float[] LowPass(int height, int width, double cutoff)
    {
        var filter = new float[height * width];
        for (int y = 0; y < height; y++)
        {
            double v = 2.0 * (y <= height / 2 ? y : y - height) / height;
            for (int x = 0; x < width; x++)
            {
                double u = 2.0 * (x <= width / 2 ? x : x - width) / width;
                filter[(y * width) + x] = (float)Math.Exp(-((u * u) + (v * v)) / (2 * cutoff * cutoff));
            }
        }

        return filter;
    }

    /// <summary>
    /// Writes the new tail into <paramref name="tail"/>.
    /// </summary>
    /// <param name="source">The latent that was last at the tail.</param>
    /// <param name="sourceTimestep">Its timestep (it is re-noised from there to <paramref name="tailTimestep"/>).</param>
    /// <param name="tailTimestep">The tail's timestep (999).</param>
    /// <param name="schedule">The training noise schedule.</param>
    /// <param name="tail">Destination, [channels, height, width].</param>
    public void Sample(ReadOnlySpan<float> source, int sourceTimestep, int tailTimestep, NoiseSchedule schedule, Span<float> tail)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var length = _renoised.Length;
        if (source.Length != length || tail.Length != length)
        {
            throw new ArgumentException($"latents must hold {length} floats ({Channels}x{Height}x{Width})", nameof(tail));
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(sourceTimestep, tailTimestep);

        // q(x_T | x_s): x_T = √(ᾱ_T/ᾱ_s)·x_s + √(1 − ᾱ_T/ᾱ_s)·η.
        var ratio = schedule.AlphaBar(tailTimestep) / schedule.AlphaBar(sourceTimestep);
        _noise.Fill(_renoised);
        LcmScheduler.LinearCombination(source, (float)Math.Sqrt(ratio), _renoised, (float)Math.Sqrt(1 - ratio), _renoised);
        _noise.Fill(_fresh);
        Mix(_renoised, _fresh, tail);
    }

    /// <summary>
    /// The frequency mix alone: tail = LowPass(a) + HighPass(η) per channel, rescaled to unit second moment.
    /// </summary>
    public void Mix(ReadOnlySpan<float> structure, ReadOnlySpan<float> noise, Span<float> tail)
    {
        var plane = Height * Width;
        if (structure.Length != Channels * plane || noise.Length != structure.Length || tail.Length != structure.Length)
        {
            throw new ArgumentException($"latents must hold {Channels * plane} floats ({Channels}x{Height}x{Width})", nameof(tail));
        }

        var spatial = new Span<float>(_spatial.Data, plane);
        var back = new Span<float>(_back.Data, plane);
        for (int c = 0; c < Channels; c++)
        {
            // Linear, so IFFT(FFT(a)·G + FFT(η)·(1 − G)) = η + IFFT(FFT(a − η)·G): one transform each way.
            var a = structure.Slice(c * plane, plane);
            var eta = noise.Slice(c * plane, plane);
            TensorPrimitives.Subtract(a, eta, spatial);
            NativeCv.Dft(_spatial, _spectrum, DftFlags.ComplexOutput);
            var spectrum = new Span<float>(_spectrum.Data, 2 * plane);
            TensorPrimitives.Multiply(spectrum, _filter, spectrum);
            NativeCv.Dft(_spectrum, _back, DftFlags.Inverse | DftFlags.RealOutput | DftFlags.Scale);
            var destination = tail.Slice(c * plane, plane);
            TensorPrimitives.Add(back, eta, destination);
            var meanSquare = TensorPrimitives.Dot(destination, destination) / plane;
            if (meanSquare > 0)
            {
                TensorPrimitives.Multiply(destination, (float)(1.0 / Math.Sqrt(meanSquare)), destination);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _spatial.Dispose();
        _spectrum.Dispose();
        _back.Dispose();
    }
}
