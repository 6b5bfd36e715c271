using OpenCvSharp;
using StreamDiffusion.Pipeline.LongVideo;
using StreamDiffusion.Pipeline.Scheduling;
using StreamDiffusion.Pipeline.Streaming;

namespace StreamDiffusion.Pipeline.Tests.LongVideo;

public sealed class CoherentTailSamplerTests
{
    private const int Channels = 4;
    private const int Size = 64;

    [Fact]
    public void Tail_keeps_the_low_band_of_its_source_takes_a_fresh_high_band_and_has_unit_variance()
    {
        using var sampler = new CoherentTailSampler(Channels, Size, Size, seed: 7);
        var schedule = new NoiseSchedule(SchedulerConfig.StableDiffusion);
        var source = new float[Channels * Size * Size];
        new GaussianNoiseGenerator(3).Fill(source);
        var tail = new float[source.Length];

        // Source already at the tail's level: the frequency mix alone.
        sampler.Sample(source, 999, 999, schedule, tail);

        var plane = Size * Size;
        for (int c = 0; c < Channels; c++)
        {
            var a = source.AsSpan(c * plane, plane).ToArray();
            var b = tail.AsSpan(c * plane, plane).ToArray();

            // Bands by hard masks on the normalised frequency (Nyquist = 1): low d ≤ c/2, high d ≥ 2c.
            var low = Correlation(Band(a, d => d <= 0.125), Band(b, d => d <= 0.125));
            var high = Correlation(Band(a, d => d >= 0.5), Band(b, d => d >= 0.5));
            Assert.True(low > 0.9, $"channel {c}: low-band correlation {low:0.000}");
            Assert.True(Math.Abs(high) < 0.1, $"channel {c}: high-band correlation {high:0.000}");

            var meanSquare = b.Sum(v => (double)v * v) / plane;
            Assert.Equal(1.0, meanSquare, 3);
        }
    }

    [Fact]
    public void Tail_from_a_cleaner_source_is_renoised_in_closed_form_before_mixing()
    {
        using var sampler = new CoherentTailSampler(1, Size, Size, seed: 1);
        var schedule = new NoiseSchedule(SchedulerConfig.StableDiffusion);

        // A smooth pattern at t = 900: re-noised to 999 its structure is scaled by √(ᾱ_999/ᾱ_900) and survives in the low band.
        var source = new float[Size * Size];
        for (int y = 0; y < Size; y++)
        {
            for (int x = 0; x < Size; x++)
            {
                source[(y * Size) + x] = 2f * MathF.Sin(2 * MathF.PI * x / Size) * MathF.Cos(2 * MathF.PI * y / Size);
            }
        }

        var tail = new float[source.Length];
        sampler.Sample(source, 900, 999, schedule, tail);
        var low = Correlation(Band(source, d => d <= 0.125), Band(tail, d => d <= 0.125));
        Assert.True(low > 0.9, $"low-band correlation {low:0.000}");
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Sample(source, 999, 900, schedule, tail));
    }

    [Fact]
    public void Low_pass_is_one_at_dc_and_the_cutoff_is_its_standard_deviation()
    {
        var filter = CoherentTailSampler.LowPass(Size, Size, 0.25);
        Assert.Equal(1f, filter[0]);

        // d = 0.25 (one standard deviation) sits 8 bins from DC on a 64-point axis.
        Assert.Equal(Math.Exp(-0.5), filter[8], 5);
        Assert.Equal(filter[8], filter[Size - 8], 6);
    }

    private static float[] Band(float[] values, Func<double, bool> keep)
    {
        using var input = Mat.FromPixelData(Size, Size, MatType.CV_32FC1, values);
        using var spectrum = new Mat();
        Cv2.Dft(input, spectrum, DftFlags.ComplexOutput);
        for (int y = 0; y < Size; y++)
        {
            double v = 2.0 * (y <= Size / 2 ? y : y - Size) / Size;
            for (int x = 0; x < Size; x++)
            {
                double u = 2.0 * (x <= Size / 2 ? x : x - Size) / Size;
                if (!keep(Math.Sqrt((u * u) + (v * v))))
                {
                    spectrum.Set(y, x, new Vec2f(0, 0));
                }
            }
        }

        using var back = new Mat();
        Cv2.Dft(spectrum, back, DftFlags.Inverse | DftFlags.RealOutput | DftFlags.Scale);
        back.GetArray(out float[] result);
        return result;
    }

    private static double Correlation(float[] a, float[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }

        return sab / Math.Sqrt(saa * sbb);
    }
}
