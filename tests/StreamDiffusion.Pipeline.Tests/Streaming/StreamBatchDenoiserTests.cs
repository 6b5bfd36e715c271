using StreamDiffusion.Pipeline.Streaming;
using static StreamDiffusion.Pipeline.Tests.Streaming.StreamTestData;

namespace StreamDiffusion.Pipeline.Tests.Streaming;

public class StreamBatchDenoiserTests
{
    public static TheoryData<int, int, CfgMode> Cases()
    {
        var data = new TheoryData<int, int, CfgMode>();
        foreach (int n in new[] { 1, 2, 4 })
        {
            foreach (int f in new[] { 1, 3 })
            {
                foreach (CfgMode mode in Enum.GetValues<CfgMode>())
                {
                    // One-step self CFG carries its stock noise across frames like the reference, so it is
                    // not a per-frame sequential run; ReferenceFidelityTests covers it.
                    if (n != 1 || mode != CfgMode.Self)
                    {
                        data.Add(n, f, mode);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Img2img_output_equals_sequential_denoising_from_the_first_frame(int n, int f, CfgMode mode)
    {
        var probe = new ProbeNoisePredictor();
        StreamSettings settings = Settings(TIndex(n), mode);
        var stream = new StreamBatchDenoiser(probe, Scheduler, Shape(f), settings);
        float[][] frames = Frames(n + 4, f);
        float[][] noise = SequentialReference.StreamNoise(settings.Seed, n, f * ItemLength);

        for (int c = 0; c < frames.Length; c++)
        {
            float[] output = Run(stream, frames[c]);

            // Latency n − 1 calls; while the pipeline turns over, the first block is repeated.
            int source = Math.Max(0, c - (n - 1));
            float[] expected = SequentialReference.Denoise(
                frames[source], noise, settings.TIndexList, mode, settings.GuidanceScale, settings.Delta, PromptA, Negative, ItemLength);
            AssertClose(expected, output);
        }

        Assert.Equal(n - 1, stream.OutputLatency);
        Assert.True(stream.IsWarm);
    }

    // n = 1 self CFG carries its stock noise from call to call (ReferenceFidelityTests), so txt2img
    // repeats a fixed picture only from n = 2.
    [Theory]
    [InlineData(3, 1)]
    [InlineData(2, 3)]
    [InlineData(4, 1)]
    [InlineData(4, 3)]
    public void Txt2img_output_equals_sequential_denoising_of_the_stream_noise(int n, int f)
    {
        var probe = new ProbeNoisePredictor();
        StreamSettings settings = Settings(new[] { 0, 10, 20, 40 }[..n], CfgMode.Self);
        var stream = new StreamBatchDenoiser(probe, Scheduler, Shape(f), settings);
        float[][] noise = SequentialReference.StreamNoise(settings.Seed, n, f * ItemLength);
        float[] expected = SequentialReference.Denoise(null, noise, settings.TIndexList, CfgMode.Self, 1.5f, 0.8f, PromptA, Negative, ItemLength);

        for (int c = 0; c < n + 2; c++)
        {
            AssertClose(expected, Run(stream, null));
        }
    }

    [Theory]
    [InlineData(CfgMode.None, 1, 1)]
    [InlineData(CfgMode.Full, 2, 2)]
    [InlineData(CfgMode.Self, 1, 1)]
    [InlineData(CfgMode.Initialize, 1, 2)]
    public void Unet_item_counts_follow_the_cfg_mode(CfgMode mode, int perStepItemsInFill, int firstStepMultiplier)
    {
        const int n = 3;
        const int f = 2;
        var probe = new ProbeNoisePredictor();
        var stream = new StreamBatchDenoiser(probe, Scheduler, Shape(f), Settings(TIndex(n), mode));
        float[][] frames = Frames(4, f);

        // Fill: n back-to-back calls of one block each.
        Run(stream, frames[0]);
        Assert.Equal(n, probe.Calls);
        Assert.Equal(firstStepMultiplier * f, probe.ItemsPerCall[0]);
        Assert.All(probe.ItemsPerCall.Skip(1), items => Assert.Equal(perStepItemsInFill * f, items));

        // Steady state: exactly one UNet call per frame batch.
        int expectedItems = mode switch
        {
            CfgMode.None => n * f,
            CfgMode.Full => 2 * n * f,
            CfgMode.Self => n * f,
            _ => (n + 1) * f,
        };
        Assert.Equal(expectedItems, stream.SteadyItemsPerCall);
        for (int c = 1; c < frames.Length; c++)
        {
            int before = probe.Calls;
            Run(stream, frames[c]);
            Assert.Equal(before + 1, probe.Calls);
            Assert.Equal(expectedItems, probe.ItemsPerCall[^1]);
        }

        // Per-item timesteps, block by block: [uncond blocks ; t0 × f, t1 × f, t2 × f].
        int[] t = [.. TIndex(n).Select(i => 999 - (20 * i))];
        float[] cond = [.. t.SelectMany(ts => Enumerable.Repeat((float)ts, f))];
        float[] expectedTimesteps = mode switch
        {
            CfgMode.Full => [.. cond, .. cond],
            CfgMode.Initialize => [.. Enumerable.Repeat((float)t[0], f), .. cond],
            _ => cond,
        };
        Assert.Equal(expectedTimesteps, probe.TimestepsPerCall[^1]);
        Assert.Equal(probe.Calls, stream.UNetCalls);
        Assert.Equal(probe.Items, stream.UNetItems);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Initialize_and_full_give_the_same_first_frame_when_delta_is_one(int f)
    {
        float[] frame = Frames(1, f)[0];
        var full = new StreamBatchDenoiser(new ProbeNoisePredictor(), Scheduler, Shape(f), Settings([35], CfgMode.Full, g: 2f, delta: 1f));
        var initialize = new StreamBatchDenoiser(new ProbeNoisePredictor(), Scheduler, Shape(f), Settings([35], CfgMode.Initialize, g: 2f, delta: 1f));
        var none = new StreamBatchDenoiser(new ProbeNoisePredictor(), Scheduler, Shape(f), Settings([35], CfgMode.None));
        float[] fullOut = Run(full, frame);
        float[] initOut = Run(initialize, frame);
        AssertClose(fullOut, initOut, 1e-6);
        Assert.True(MaxAbsDifference(fullOut, Run(none, frame)) > 1e-3, "guidance had no effect");
    }

    [Fact]
    public void Guidance_modes_change_the_output()
    {
        float[] frame = Frames(1, 1)[0];
        float[][] outputs = [.. Enum.GetValues<CfgMode>().Select(mode =>
            Run(new StreamBatchDenoiser(new ProbeNoisePredictor(), Scheduler, Shape(1), Settings(TIndex(2), mode, g: 2f, delta: 0.5f)), frame))];
        for (int i = 0; i < outputs.Length; i++)
        {
            AssertDenoisedLooking(outputs[i]);
            for (int j = i + 1; j < outputs.Length; j++)
            {
                Assert.True(MaxAbsDifference(outputs[i], outputs[j]) > 1e-3, $"modes {i} and {j} agree");
            }
        }
    }

    [Fact]
    public void Steady_state_calls_do_not_allocate()
    {
        var probe = new ProbeNoisePredictor { Record = false };
        var stream = new StreamBatchDenoiser(probe, Scheduler, Shape(3), Settings(TIndex(4), CfgMode.Initialize));
        float[] frame = Frames(1, 3)[0];
        var output = new float[frame.Length];
        RunSynchronously(stream, frame, output, 3);
        long before = GC.GetAllocatedBytesForCurrentThread();
        RunSynchronously(stream, frame, output, 20);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1024, $"{allocated} bytes allocated over 20 steady calls");
    }

    [Fact]
    public void Reset_refills_with_back_to_back_steps()
    {
        var probe = new ProbeNoisePredictor();
        StreamSettings settings = Settings(TIndex(2));
        var stream = new StreamBatchDenoiser(probe, Scheduler, Shape(1), settings);
        float[][] frames = Frames(5, 1);
        for (int c = 0; c < 3; c++)
        {
            Run(stream, frames[c]);
        }

        stream.Reset();
        Assert.False(stream.IsWarm);
        int before = probe.Calls;
        float[] output = Run(stream, frames[4]);
        Assert.Equal(before + 2, probe.Calls);
        float[][] noise = SequentialReference.StreamNoise(settings.Seed, 2, ItemLength);
        AssertClose(SequentialReference.Denoise(frames[4], noise, settings.TIndexList, CfgMode.None, 1, 1, PromptA, null, ItemLength), output);
    }

    [Fact]
    public void Wrong_buffer_sizes_are_rejected()
    {
        var stream = new StreamBatchDenoiser(new ProbeNoisePredictor(), Scheduler, Shape(2), Settings(TIndex(2)));
        Assert.Throws<ArgumentException>(() => { _ = stream.DenoiseAsync(new float[ItemLength], new float[2 * ItemLength]); });
        Assert.Throws<ArgumentException>(() => { _ = stream.GenerateAsync(new float[ItemLength]); });
        Assert.Equal(0, stream.Calls);
    }

    [Fact]
    public async Task Concurrent_calls_on_one_stream_are_refused()
    {
        var gate = new GatedNoisePredictor();
        var stream = new StreamBatchDenoiser(gate, Scheduler, Shape(1), Settings(TIndex(1)));
        ValueTask first = stream.DenoiseAsync(new float[ItemLength], new float[ItemLength]);
        Assert.Throws<InvalidOperationException>(() => { _ = stream.DenoiseAsync(new float[ItemLength], new float[ItemLength]); });
        gate.Release();
        await first;
        Assert.Equal(1, stream.Calls);
    }

    [Fact]
    public async Task A_cancelled_fill_leaves_the_stream_usable()
    {
        var gate = new GatedNoisePredictor();
        var stream = new StreamBatchDenoiser(gate, Scheduler, Shape(1), Settings(TIndex(2)));
        using var cts = new CancellationTokenSource();
        ValueTask first = stream.DenoiseAsync(new float[ItemLength], new float[ItemLength], cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await first);
        Assert.False(stream.IsWarm);

        gate.Release();
        await stream.DenoiseAsync(new float[ItemLength], new float[ItemLength]);
        Assert.True(stream.IsWarm);
        Assert.Equal(1, stream.Calls);
    }
}
