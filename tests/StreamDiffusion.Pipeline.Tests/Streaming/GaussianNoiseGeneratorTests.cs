using StreamDiffusion.Pipeline.Streaming;

namespace StreamDiffusion.Pipeline.Tests.Streaming;

public class GaussianNoiseGeneratorTests
{
    [Fact]
    public void Samples_are_standard_normal()
    {
        var values = new float[200_000];
        new GaussianNoiseGenerator(123).Fill(values);
        double mean = values.Average(v => (double)v);
        double variance = values.Average(v => (v - mean) * (v - mean));
        double within1 = values.Count(v => Math.Abs(v) < 1) / (double)values.Length;
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(variance, 0.98, 1.02);
        Assert.InRange(within1, 0.678, 0.687);
    }

    [Fact]
    public void Same_seed_and_stream_repeat_and_others_differ()
    {
        var a = new float[64];
        var b = new float[64];
        var c = new float[64];
        var d = new float[64];
        new GaussianNoiseGenerator(5, 1).Fill(a);
        new GaussianNoiseGenerator(5, 1).Fill(b);
        new GaussianNoiseGenerator(5, 2).Fill(c);
        new GaussianNoiseGenerator(6, 1).Fill(d);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.NotEqual(a, d);
    }

    [Fact]
    public void Uniform_draws_stay_in_range()
    {
        var generator = new GaussianNoiseGenerator(9);
        for (int i = 0; i < 10_000; i++)
        {
            double u = generator.NextUniform();
            Assert.InRange(u, 0.0, 0.9999999999999999);
        }
    }
}
