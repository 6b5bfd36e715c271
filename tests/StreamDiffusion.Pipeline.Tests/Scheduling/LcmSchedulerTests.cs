using StreamDiffusion.Pipeline.Scheduling;

namespace StreamDiffusion.Pipeline.Tests.Scheduling;

public class LcmSchedulerTests
{
    private readonly LcmScheduler _scheduler = LcmScheduler.FromConfig(SchedulerConfig.StableDiffusion);

    [Theory]
    [InlineData(0, 999)]
    [InlineData(32, 359)]
    [InlineData(35, 299)]
    [InlineData(45, 99)]
    [InlineData(49, 19)]
    public void Timestep_follows_the_50_step_grid(int index, int expected) =>
        Assert.Equal(expected, _scheduler.Timestep(index));

    [Fact]
    public void Timestep_rejects_indices_outside_the_grid()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _scheduler.Timestep(50));
        Assert.Throws<ArgumentOutOfRangeException>(() => _scheduler.Timestep(-1));
    }

    [Fact]
    public void TIndexForSteps_matches_diffusers_lcm_spacing()
    {
        // diffusers >= 0.24 LCMScheduler.set_timesteps: floor(linspace(0, 50, steps, endpoint=False)),
        // so 4 steps give timesteps 999, 759, 499, 259.
        Assert.Equal([0, 12, 25, 37], _scheduler.TIndexForSteps(4));
        Assert.Equal([999, 759, 499, 259], _scheduler.TIndexForSteps(4).Select(_scheduler.Timestep));
        Assert.Equal([0], _scheduler.TIndexForSteps(1));
        Assert.Equal([0, 25], _scheduler.TIndexForSteps(2));
        Assert.Equal([0, 16, 33], _scheduler.TIndexForSteps(3));
        Assert.Equal([0, 6, 12, 18, 25, 31, 37, 43], _scheduler.TIndexForSteps(8));
    }

    [Theory]
    [InlineData(99)]
    [InlineData(299)]
    [InlineData(359)]
    [InlineData(999)]
    public void Coefficients_match_the_boundary_conditions(int t)
    {
        var (alpha, sigma, cSkip, cOut) = ReferenceSchedule.Lcm(t);
        LcmStepCoefficients c = _scheduler.Coefficients(t);
        Assert.Equal(t, c.Timestep);
        Assert.Equal(alpha, c.Alpha, 1e-12);
        Assert.Equal(sigma, c.Sigma, 1e-12);
        Assert.Equal(cSkip, c.CSkip, 1e-15);
        Assert.Equal(cOut, c.COut, 1e-12);
    }

    [Fact]
    public void Coefficients_at_t_99_have_the_expected_magnitudes()
    {
        // s = 990: c_skip = 0.25 / (990² + 0.25) ≈ 2.551e-7, c_out ≈ 1 − 1.3e-7.
        LcmStepCoefficients c = _scheduler.Coefficients(99);
        Assert.Equal(2.5507e-7, c.CSkip, 1e-10);
        Assert.Equal(0.99999987, c.COut, 1e-8);
    }

    [Theory]
    [InlineData(99)]
    [InlineData(359)]
    [InlineData(999)]
    public void Step_matches_formula(int t)
    {
        var (alpha, sigma, cSkip, cOut) = ReferenceSchedule.Lcm(t);
        float[] x = [0.3f, -1.1f, 2.4f, 0.0f, -0.5f, 1.7f, 0.9f, -2.2f, 0.1f];
        float[] eps = [1.0f, 0.2f, -0.4f, 0.8f, -1.3f, 0.05f, -0.6f, 0.7f, 1.9f];
        var denoised = new float[x.Length];
        _scheduler.Step(x, eps, t, denoised);
        for (int i = 0; i < x.Length; i++)
        {
            double f = (x[i] - (sigma * eps[i])) / alpha;
            double expected = (cOut * f) + (cSkip * x[i]);
            Assert.Equal(expected, denoised[i], 2e-5);
        }
    }

    [Fact]
    public void Step_with_the_true_noise_recovers_the_clean_latent_up_to_c_skip()
    {
        const int t = 299;
        var (alpha, sigma, cSkip, cOut) = ReferenceSchedule.Lcm(t);
        float[] clean = [0.4f, -0.8f, 1.5f, -1.9f];
        float[] noise = [0.7f, -1.2f, 0.3f, 2.0f];
        var x = new float[4];
        _scheduler.AddNoise(clean, noise, t, x);
        var denoised = new float[4];
        _scheduler.Step(x, noise, t, denoised);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal((alpha * clean[i]) + (sigma * noise[i]), x[i], 1e-5);
            Assert.Equal((cOut * clean[i]) + (cSkip * x[i]), denoised[i], 1e-5);
        }
    }

    [Fact]
    public void Step_in_place_is_allowed()
    {
        float[] x = [0.3f, -1.1f, 2.4f, 0.5f];
        float[] eps = [1.0f, 0.2f, -0.4f, 0.8f];
        var expected = new float[4];
        _scheduler.Step(x, eps, 359, expected);
        _scheduler.Step(x, eps, 359, x);
        Assert.Equal(expected, x);
    }
}
