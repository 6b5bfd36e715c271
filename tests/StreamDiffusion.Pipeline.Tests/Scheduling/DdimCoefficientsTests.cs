using StreamDiffusion.Pipeline.Scheduling;

namespace StreamDiffusion.Pipeline.Tests.Scheduling;

public class DdimCoefficientsTests
{
    private readonly NoiseSchedule _schedule = new(SchedulerConfig.StableDiffusion);

    [Theory]
    [InlineData(999, 666)]
    [InlineData(359, 299)]
    [InlineData(99, 0)]
    [InlineData(99, -1)]
    public void Step_with_the_true_noise_lands_on_the_earlier_marginal(int t, int previous)
    {
        double alpha = Math.Sqrt(ReferenceSchedule.AlphaBar(t));
        double sigma = Math.Sqrt(1 - ReferenceSchedule.AlphaBar(t));
        double alphaPrev = previous < 0 ? 1 : Math.Sqrt(ReferenceSchedule.AlphaBar(previous));
        double sigmaPrev = previous < 0 ? 0 : Math.Sqrt(1 - ReferenceSchedule.AlphaBar(previous));
        float[] clean = [0.4f, -0.8f, 1.5f, -1.9f];
        float[] noise = [0.7f, -1.2f, 0.3f, 2.0f];
        var x = new float[4];
        for (int i = 0; i < 4; i++)
        {
            x[i] = (float)((alpha * clean[i]) + (sigma * noise[i]));
        }

        DdimCoefficients c = DdimCoefficients.Create(_schedule, t, previous);
        Assert.Equal(alphaPrev / alpha, c.LatentScale, 1e-9);
        var result = new float[4];
        c.Apply(x, noise, result);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal((alphaPrev * clean[i]) + (sigmaPrev * noise[i]), result[i], 2e-4);
        }
    }

    [Fact]
    public void Create_rejects_a_later_previous_timestep() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DdimCoefficients.Create(_schedule, 299, 359));

    [Fact]
    public void SpreadTimesteps_covers_0_to_999_noisiest_first()
    {
        Assert.Equal([999, 666, 333, 0], DdimCoefficients.SpreadTimesteps(4));
        Assert.Equal([999], DdimCoefficients.SpreadTimesteps(1));
        int[] many = DdimCoefficients.SpreadTimesteps(16);
        Assert.Equal(999, many[0]);
        Assert.Equal(0, many[^1]);
        Assert.True(many.Zip(many.Skip(1)).All(p => p.First > p.Second));
    }
}
