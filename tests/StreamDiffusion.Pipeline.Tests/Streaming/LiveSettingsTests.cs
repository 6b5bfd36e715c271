using StreamDiffusion.Pipeline.Streaming;
using static StreamDiffusion.Pipeline.Tests.Streaming.StreamTestData;

namespace StreamDiffusion.Pipeline.Tests.Streaming;

public class LiveSettingsTests
{
    [Theory]
    [InlineData(CfgMode.None)]
    [InlineData(CfgMode.Self)]
    [InlineData(CfgMode.Initialize)]
    public void Prompt_change_reaches_the_output_at_once_and_matches_a_fresh_stream_after_n_calls(CfgMode mode)
    {
        const int n = 3;
        const int f = 2;
        const int switchAt = 4;
        StreamSettings a = Settings(TIndex(n), mode);
        StreamSettings b = a with { PromptEmbedding = PromptB };
        var streamA = new StreamBatchDenoiser(new ProbeNoisePredictor(), Scheduler, Shape(f), a);
        var streamB = new StreamBatchDenoiser(new ProbeNoisePredictor(), Scheduler, Shape(f), b);
        var probe = new ProbeNoisePredictor();
        var live = new StreamBatchDenoiser(probe, Scheduler, Shape(f), a);
        float[][] frames = Frames(switchAt + n + 2, f);

        for (int c = 0; c < frames.Length; c++)
        {
            if (c == switchAt)
            {
                live.Settings = b;
            }

            int callsBefore = probe.Calls;
            float[] outA = Run(streamA, frames[c]);
            float[] outB = Run(streamB, frames[c]);
            float[] output = Run(live, frames[c]);
            AssertDenoisedLooking(output);
            if (c > 0)
            {
                Assert.Equal(callsBefore + 1, probe.Calls);
            }

            if (c < switchAt)
            {
                AssertClose(outA, output, 1e-6);
            }
            else if (c == switchAt)
            {
                Assert.True(MaxAbsDifference(outA, output) > 1e-3, "the new prompt did not reach the output");
            }
            else if (c >= switchAt + n - 1)
            {
                // Every latent in flight entered after the change.
                AssertClose(outB, output, 1e-6);
            }
        }
    }

    [Theory]
    [InlineData(2, 4, CfgMode.None)]
    [InlineData(4, 1, CfgMode.Initialize)]
    [InlineData(4, 2, CfgMode.Self)]
    [InlineData(2, 3, CfgMode.Full)]
    [InlineData(3, 3, CfgMode.Initialize)]
    public void TIndex_change_rederives_the_buffer_without_a_pause_or_garbage(int n0, int n1, CfgMode mode)
    {
        const int f = 2;
        const int switchAt = 3;
        StreamSettings before = Settings(TIndex(n0), mode);

        // Same length, other indices, when n0 == n1.
        int[] newIndex = n0 == n1 ? [10, 30, 44] : TIndex(n1);
        StreamSettings after = before with { TIndexList = newIndex };
        var probe = new ProbeNoisePredictor();
        var stream = new StreamBatchDenoiser(probe, Scheduler, Shape(f), before);
        float[][] frames = Frames(switchAt + n1 + 3, f);
        float[][] noise = SequentialReference.StreamNoise(before.Seed, Math.Max(n0, n1), f * ItemLength);
        int steadyItems = mode switch { CfgMode.Full => 2 * n1, CfgMode.Initialize => n1 + 1, _ => n1 } * f;

        for (int c = 0; c < frames.Length; c++)
        {
            if (c == switchAt)
            {
                stream.Settings = after;
            }

            int callsBefore = probe.Calls;
            float[] output = Run(stream, frames[c]);
            AssertDenoisedLooking(output);
            if (c >= switchAt)
            {
                // No restart: one ordinary call of the new size.
                Assert.Equal(callsBefore + 1, probe.Calls);
                Assert.Equal(steadyItems, probe.ItemsPerCall[^1]);
                Assert.Equal(n1, stream.StepCount);
            }

            if (c >= switchAt + n1 - 1)
            {
                float[] expected = SequentialReference.Denoise(
                    frames[c - (n1 - 1)], noise[..n1], newIndex, mode, before.GuidanceScale, before.Delta, PromptA, Negative, ItemLength);
                AssertClose(expected, output);
            }
        }
    }

    [Fact]
    public void Seed_change_matches_a_stream_started_with_that_seed_after_n_calls()
    {
        const int n = 2;
        StreamSettings first = Settings(TIndex(n), CfgMode.Self, seed: 11);
        StreamSettings second = first with { Seed = 12 };
        var live = new StreamBatchDenoiser(new ProbeNoisePredictor(), Scheduler, Shape(1), first);
        var reference = new StreamBatchDenoiser(new ProbeNoisePredictor(), Scheduler, Shape(1), second);
        float[][] frames = Frames(6, 1);
        for (int c = 0; c < frames.Length; c++)
        {
            if (c == 2)
            {
                live.Settings = second;
            }

            float[] output = Run(live, frames[c]);
            float[] expected = Run(reference, frames[c]);
            AssertDenoisedLooking(output);
            if (c >= 2 + n - 1)
            {
                AssertClose(expected, output, 1e-6);
            }
            else if (c < 2)
            {
                Assert.True(MaxAbsDifference(expected, output) > 1e-3);
            }
        }
    }

    [Fact]
    public void Seeds_are_reproducible_and_distinct()
    {
        float[][] frames = Frames(5, 3);
        float[][] Outputs(long seed)
        {
            var stream = new StreamBatchDenoiser(new ProbeNoisePredictor(), Scheduler, Shape(3), Settings(TIndex(3), CfgMode.Self, seed: seed));
            return [.. frames.Select(frame => Run(stream, frame))];
        }

        float[][] first = Outputs(42);
        float[][] again = Outputs(42);
        float[][] other = Outputs(43);
        for (int c = 0; c < frames.Length; c++)
        {
            Assert.Equal(first[c], again[c]);
            Assert.True(MaxAbsDifference(first[c], other[c]) > 1e-3);
        }
    }

    [Fact]
    public void Seed_blend_mixes_noise_with_unit_variance()
    {
        const int f = 2;
        StreamSettings single = Settings(TIndex(1), seed: 7);
        StreamSettings degenerate = single with { Seed = 999, SeedBlend = [new WeightedSeed(7, 2f), new WeightedSeed(8, 0f)] };
        StreamSettings blend = single with { SeedBlend = [new WeightedSeed(7, 3f), new WeightedSeed(8, 4f)] };

        // txt2img with one step is a pure function of η₀.
        float[] singleOut = Run(new StreamBatchDenoiser(new ProbeNoisePredictor(), Scheduler, Shape(f), single), null);
        float[] degenerateOut = Run(new StreamBatchDenoiser(new ProbeNoisePredictor(), Scheduler, Shape(f), degenerate), null);
        AssertClose(singleOut, degenerateOut, 1e-6);

        float[] n7 = SequentialReference.StreamNoise(7, 1, f * ItemLength)[0];
        float[] n8 = SequentialReference.StreamNoise(8, 1, f * ItemLength)[0];
        float[] mixed = [.. n7.Zip(n8, (x, y) => ((3 * x) + (4 * y)) / 5f)];
        float[] expected = SequentialReference.Denoise(null, [mixed], single.TIndexList, CfgMode.None, 1, 1, PromptA, null, ItemLength);
        AssertClose(expected, Run(new StreamBatchDenoiser(new ProbeNoisePredictor(), Scheduler, Shape(f), blend), null));
    }

    [Fact]
    public void Fresh_noise_changes_every_call_and_is_still_reproducible()
    {
        StreamSettings settings = Settings(TIndex(2)) with { NoiseMode = NoiseMode.Fresh };
        var a = new StreamBatchDenoiser(new ProbeNoisePredictor(), Scheduler, Shape(1), settings);
        var b = new StreamBatchDenoiser(new ProbeNoisePredictor(), Scheduler, Shape(1), settings);
        Run(a, null);
        Run(b, null);

        // The second call still repeats the first block while the pipeline turns over (n = 2).
        float[] previous = Run(a, null);
        Assert.Equal(previous, Run(b, null));
        for (int c = 0; c < 4; c++)
        {
            float[] output = Run(a, null);
            Assert.Equal(output, Run(b, null));
            Assert.True(MaxAbsDifference(previous, output) > 1e-3);
            AssertDenoisedLooking(output);
            previous = output;
        }
    }

    [Fact]
    public void Guidance_delta_and_mode_changes_apply_from_the_next_call()
    {
        // Initialize: with n = 1 every frame's stock noise is its own real ε_u, so a fresh stream is the reference.
        StreamSettings settings = Settings(TIndex(1), CfgMode.Initialize, g: 1.5f, delta: 0.8f);
        var live = new StreamBatchDenoiser(new ProbeNoisePredictor(), Scheduler, Shape(1), settings);
        float[] frame = Frames(1, 1)[0];
        Run(live, frame);
        foreach (StreamSettings next in new[]
        {
            settings with { GuidanceScale = 3f },
            settings with { Delta = 0.2f },
            settings with { GuidanceScale = 0.8f },
            settings with { CfgMode = CfgMode.Full },
            settings with { CfgMode = CfgMode.None },
        })
        {
            live.Settings = next;
            var fresh = new StreamBatchDenoiser(new ProbeNoisePredictor(), Scheduler, Shape(1), next);
            AssertClose(Run(fresh, frame), Run(live, frame), 1e-6);
        }
    }

    [Fact]
    public void Invalid_settings_are_refused_and_leave_the_stream_unchanged()
    {
        StreamSettings good = Settings(TIndex(2));
        var stream = new StreamBatchDenoiser(new ProbeNoisePredictor(), Scheduler, Shape(1), good);
        StreamSettings[] bad =
        [
            good with { TIndexList = [45, 32] },
            good with { TIndexList = [] },
            good with { TIndexList = [10, 50] },
            good with { CfgMode = CfgMode.Full, NegativePromptEmbedding = null },
            good with { PromptEmbedding = new float[ProbeNoisePredictor.Hidden + 1] },
            good with { NegativePromptEmbedding = new float[ProbeNoisePredictor.Hidden] },
            good with { GuidanceScale = float.NaN },
            good with { SeedBlend = [new WeightedSeed(1, 0f)] },
        ];
        foreach (StreamSettings settings in bad)
        {
            Assert.Throws<ArgumentException>(() => stream.Settings = settings);
            Assert.Same(good, stream.Settings);
        }
    }
}
