using StreamDiffusion.Pipeline.Streaming;
using static StreamDiffusion.Pipeline.Tests.Streaming.StreamTestData;

namespace StreamDiffusion.Pipeline.Tests.Streaming;

/// <summary>
/// The stream against <see cref="StreamDiffusionReference"/>, a re-implementation of the Python
/// reference's formulas: same outputs (within 1e−5) and same UNet item counts for f = 1, n = 1..4,
/// every CFG mode and g on both sides of 1 (issue 13, points 1, 2 and 7).
/// </summary>
public class ReferenceFidelityTests
{
    public static TheoryData<int, CfgMode, float> Cases()
    {
        var data = new TheoryData<int, CfgMode, float>();
        foreach (int n in new[] { 1, 2, 3, 4 })
        {
            foreach (CfgMode mode in Enum.GetValues<CfgMode>())
            {
                foreach (float g in new[] { 0.5f, 1f, 1.5f })
                {
                    data.Add(n, mode, g);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Stream_batch_matches_the_reference_once_the_pipeline_has_turned_over(int n, CfgMode mode, float g)
    {
        var probe = new ProbeNoisePredictor();
        StreamSettings settings = Settings(TIndex(n), mode, g);
        var stream = new StreamBatchDenoiser(probe, Scheduler, Shape(1), settings);
        float[][] noise = SequentialReference.StreamNoise(settings.Seed, n, ItemLength);
        var reference = new StreamDiffusionReference(settings.TIndexList, noise, mode, g, settings.Delta, PromptA, Negative);
        float[][] frames = Frames(n + 6, 1);

        for (int c = 0; c < frames.Length; c++)
        {
            float[] output = Run(stream, frames[c]);
            float[] expected = reference.Call(frames[c]);

            // The reference starts from a zero buffer and emits undenoised frames for n − 1 calls; this
            // stream fills instead. From call n − 1 on both emit the same frames.
            if (c >= n - 1)
            {
                AssertClose(expected, output, 1e-5);
                Assert.Equal(reference.LastItems, probe.ItemsPerCall[^1]);
            }
        }
    }

    [Theory]
    [InlineData(CfgMode.None)]
    [InlineData(CfgMode.Full)]
    [InlineData(CfgMode.Self)]
    [InlineData(CfgMode.Initialize)]
    public void Guidance_at_or_below_one_runs_only_conditional_items(CfgMode mode)
    {
        foreach (float g in new[] { 0.5f, 1f })
        {
            var probe = new ProbeNoisePredictor();
            var stream = new StreamBatchDenoiser(probe, Scheduler, Shape(2), Settings(TIndex(3), mode, g));
            float[][] frames = Frames(4, 2);
            foreach (float[] frame in frames)
            {
                Run(stream, frame);
            }

            // n·f items in steady state, f per back-to-back fill step, whatever the mode.
            Assert.Equal(3 * 2, stream.SteadyItemsPerCall);
            Assert.Equal([2, 2, 2, 6, 6, 6], probe.ItemsPerCall);

            // And the output is the unguided one: ε = ε_c.
            var plain = new StreamBatchDenoiser(new ProbeNoisePredictor(), Scheduler, Shape(2), Settings(TIndex(3), CfgMode.None, g));
            var guided = new StreamBatchDenoiser(new ProbeNoisePredictor(), Scheduler, Shape(2), Settings(TIndex(3), mode, g));
            foreach (float[] frame in frames)
            {
                Assert.Equal(Run(plain, frame), Run(guided, frame));
            }
        }
    }

    [Fact]
    public void One_step_self_cfg_starts_from_zero_stock_and_carries_it()
    {
        // With n = 1 the first frame sees S = 0 (ε = g·ε_c); the next frames see η₀ + the carried ΔS.
        var probe = new ProbeNoisePredictor();
        StreamSettings settings = Settings(TIndex(1), CfgMode.Self, 1.5f);
        var stream = new StreamBatchDenoiser(probe, Scheduler, Shape(1), settings);
        float[][] noise = SequentialReference.StreamNoise(settings.Seed, 1, ItemLength);
        float[][] frames = Frames(3, 1);

        float[] first = Run(stream, frames[0]);
        float[] zeroStock = SequentialReferenceWithZeroStock(frames[0], noise[0], settings);
        AssertClose(zeroStock, first, 1e-5);

        // The second frame differs from a fresh stream's first (S carried, not zero) ...
        float[] second = Run(stream, frames[1]);
        var fresh = new StreamBatchDenoiser(new ProbeNoisePredictor(), Scheduler, Shape(1), settings);
        Assert.True(MaxAbsDifference(Run(fresh, frames[1]), second) > 1e-3);

        // ... and a reset starts from zero again.
        stream.Reset();
        var another = new StreamBatchDenoiser(new ProbeNoisePredictor(), Scheduler, Shape(1), settings);
        AssertClose(Run(another, frames[2]), Run(stream, frames[2]), 1e-6);
    }

    [Theory]
    [InlineData(2, CfgMode.Self)]
    [InlineData(3, CfgMode.Full)]
    [InlineData(4, CfgMode.Initialize)]
    [InlineData(4, CfgMode.None)]
    public void Zero_latency_mode_emits_each_frame_fully_denoised_in_the_same_call(int n, CfgMode mode)
    {
        var probe = new ProbeNoisePredictor();
        StreamSettings settings = Settings(TIndex(n), mode) with { ZeroLatency = true };
        var stream = new StreamBatchDenoiser(probe, Scheduler, Shape(1), settings);
        float[][] noise = SequentialReference.StreamNoise(settings.Seed, n, ItemLength);
        float[][] frames = Frames(4, 1);

        for (int c = 0; c < frames.Length; c++)
        {
            float[] expected = SequentialReference.Denoise(frames[c], noise, settings.TIndexList, mode, settings.GuidanceScale, settings.Delta, PromptA, Negative, ItemLength);
            AssertClose(expected, Run(stream, frames[c]), 1e-5);
        }

        // n UNet calls per frame, each of one step's items.
        Assert.Equal(n * frames.Length, probe.Calls);
    }

    private static float[] SequentialReferenceWithZeroStock(float[] frame, float[] eta, StreamSettings settings)
    {
        // One LCM step with ε = δ·0 + g(ε_c − δ·0) = g·ε_c.
        int t = Scheduling.ReferenceSchedule.Timestep(settings.TIndexList[0]);
        var (alpha, sigma, cSkip, cOut) = Scheduling.ReferenceSchedule.Lcm(t);
        float[] x = [.. frame.Select((z, i) => (float)((alpha * z) + (sigma * eta[i])))];
        var epsC = new float[x.Length];
        ProbeNoisePredictor.Predict(x, t, PromptA, epsC);
        return [.. x.Select((v, i) => (float)((cOut * (v - (sigma * settings.GuidanceScale * epsC[i])) / alpha) + (cSkip * v)))];
    }
}
