using StreamDiffusion.Pipeline.Scheduling;

namespace StreamDiffusion.Pipeline.Tests.Scheduling;

public class NoiseScheduleTests
{
    private readonly NoiseSchedule _schedule = new(SchedulerConfig.StableDiffusion);

    [Theory]
    [InlineData(0)]
    [InlineData(99)]
    [InlineData(299)]
    [InlineData(359)]
    [InlineData(999)]
    public void AlphaBar_matches_independent_double_loop(int t)
    {
        double expected = ReferenceSchedule.AlphaBar(t);
        Assert.Equal(expected, _schedule.AlphaBar(t), 1e-12);
        Assert.Equal(Math.Sqrt(expected), _schedule.Alpha(t), 1e-12);
        Assert.Equal(Math.Sqrt(1 - expected), _schedule.Sigma(t), 1e-12);
    }

    [Fact]
    public void AlphaBar_matches_published_stable_diffusion_values()
    {
        // diffusers' alphas_cumprod for SD (float32): [0] = 0.99915, [999] ≈ 0.0046.
        Assert.Equal(0.99915, _schedule.AlphaBar(0), 1e-9);
        Assert.Equal(0.00466, _schedule.AlphaBar(999), 5e-5);
        Assert.Equal(1000, _schedule.Length);
    }

    [Fact]
    public void Linear_schedule_spaces_beta_linearly()
    {
        var schedule = new NoiseSchedule(new SchedulerConfig(0.0001, 0.02, BetaSchedule.Linear, 1000, PredictionType.Epsilon));
        Assert.Equal(0.0001, schedule.Beta(0), 1e-15);
        Assert.Equal(0.02, schedule.Beta(999), 1e-15);
        Assert.Equal(0.0001 + (500 / 999.0 * (0.02 - 0.0001)), schedule.Beta(500), 1e-15);
        Assert.Equal((1 - 0.0001) * (1 - schedule.Beta(1)), schedule.AlphaBar(1), 1e-15);
    }

    [Fact]
    public void Timestep_out_of_range_throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _schedule.AlphaBar(1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => _schedule.AlphaBar(-1));
    }

    [Theory]
    [InlineData(PredictionType.VPrediction)]
    [InlineData(PredictionType.Sample)]
    [InlineData(PredictionType.Epsilon)]
    public void ConvertToEpsilon_recovers_the_noise(PredictionType type)
    {
        var schedule = new NoiseSchedule(SchedulerConfig.StableDiffusion with { PredictionType = type });
        const int t = 359;
        double alpha = schedule.Alpha(t);
        double sigma = schedule.Sigma(t);
        float[] clean = [0.5f, -1.2f, 0.3f, 2f];
        float[] noise = [1f, 0.25f, -0.7f, -1.5f];
        var x = new float[4];
        var output = new float[4];
        for (int i = 0; i < 4; i++)
        {
            x[i] = (float)((alpha * clean[i]) + (sigma * noise[i]));
            output[i] = type switch
            {
                PredictionType.VPrediction => (float)((alpha * noise[i]) - (sigma * clean[i])),
                PredictionType.Sample => clean[i],
                _ => noise[i],
            };
        }

        schedule.ConvertToEpsilon(x, output, t);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(noise[i], output[i], 1e-4f);
        }
    }
}
