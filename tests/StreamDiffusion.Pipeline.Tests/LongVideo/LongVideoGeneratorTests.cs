using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.LongVideo;
using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Models.Synthetic;
using StreamDiffusion.Pipeline.Tests.Synthetic;
using Xunit.Abstractions;

namespace StreamDiffusion.Pipeline.Tests.LongVideo;

/// <summary>The generator on real (synthetic) ONNX packs through the model's engines.</summary>
[Collection(nameof(MemoryMeasuredCollection))]
public sealed class LongVideoGeneratorTests(SyntheticPackFixture fixture, ITestOutputHelper output) : IClassFixture<SyntheticPackFixture>
{
    private const int Size = 64;

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Live_prompt_change_reaches_the_head_within_the_queue_length_without_a_cut(bool video, bool lookahead)
    {
        var path = fixture.Pack(video ? "video-64" : "image-64", new SyntheticPackOptions { Video = video, ImageSize = Size });
        await using var runtime = new ModelRuntime(ModelPack.Load(path));
        var options = new LongVideoOptions
        {
            Prompts = [new VideoPromptKeyframe(0, "a red fox running through snow")],
            Width = Size,
            Height = Size,
            Window = 4,
            Partitions = 2,
            Lookahead = lookahead,
            CoherentTail = true,
        };
        await using var generator = await LongVideoGenerator.CreateAsync(runtime, options);
        var levels = options.Window * options.Partitions;
        var frames = new List<float[]>();
        var prompts = new List<string>();

        async Task Run(int count)
        {
            for (int i = 0; i < count; i++)
            {
                var image = new float[generator.ImageLength];
                var frame = await generator.NextFrameAsync(image);
                Assert.Equal(frames.Count, frame.Index);
                frames.Add(image);
                prompts.Add(frame.Prompt);
            }
        }

        await Run(3 * levels);
        var changeAt = frames.Count;
        await generator.ChangePromptAsync("a deep blue ocean at night");
        await Run(3 * levels);

        // The new prompt is at the head within L frames.
        var arrived = prompts.FindIndex(changeAt, p => p == "a deep blue ocean at night");
        Assert.InRange(arrived, changeAt, changeAt + levels);

        // The picture really changes: the mean colour of L frames moves from the old prompt's to the new one's,
        // by far more than it wanders between two stretches of L frames under one prompt.
        var shift = ColourDistance(Mean(frames, changeAt - levels, levels), Mean(frames, frames.Count - levels, levels));
        var wander = ColourDistance(Mean(frames, levels, levels), Mean(frames, 2 * levels, levels));

        // Without a cut: every step across the change stays within the stream's normal frame-to-frame range.
        var normal = Enumerable.Range(levels, changeAt - levels - 1).Max(k => Difference(frames[k], frames[k + 1]));
        var across = Enumerable.Range(changeAt - 1, levels + 2).Max(k => Difference(frames[k], frames[k + 1]));
        output.WriteLine($"normal max step {normal:0.0000}, max step across change {across:0.0000}, colour shift {shift:0.0000} (wander {wander:0.0000})");
        Assert.True(shift > 0.05 && shift > 3 * wander, $"the prompt change did not change the picture (colour shift {shift:0.0000}, frame-to-frame {wander:0.0000})");
        Assert.True(across <= 1.5 * normal + 0.01, $"a cut: step {across:0.0000} across the change, normal steps up to {normal:0.0000}");
    }

    [Fact]
    public async Task Keyframes_ramp_in_before_their_start_frame_and_rule_from_it()
    {
        var path = fixture.Pack("video-64", new SyntheticPackOptions { Video = true, ImageSize = Size });
        await using var runtime = new ModelRuntime(ModelPack.Load(path));
        var options = new LongVideoOptions
        {
            Prompts = [new VideoPromptKeyframe(0, "a red fox"), new VideoPromptKeyframe(20, "a green forest")],
            Width = Size,
            Height = Size,
            Window = 4,
            Partitions = 2,
        };
        await using var generator = await LongVideoGenerator.CreateAsync(runtime, options);
        var image = new float[generator.ImageLength];
        var prompts = new List<string>();
        for (int i = 0; i < 30; i++)
        {
            prompts.Add((await generator.NextFrameAsync(image)).Prompt);
        }

        Assert.All(prompts.Take(12), p => Assert.Equal("a red fox", p));
        Assert.All(prompts.Skip(13), p => Assert.Equal("a green forest", p));
        Assert.NotNull(generator.TimeToFirstFrame);
        Assert.Equal(8, generator.ItemsPerFrame);
    }

    [Fact]
    public async Task Generator_memory_stays_constant_over_500_frames_with_every_feature_on()
    {
        // The whole generator on the video pack through the engines, lookahead + coherent tail + subject guidance:
        // after a warm-up, 500 more frames leave the managed heap where it was (no per-frame growth) and the
        // queue's buffers unchanged.
        var path = fixture.Pack("video-64", new SyntheticPackOptions { Video = true, ImageSize = Size });
        await using var runtime = new ModelRuntime(ModelPack.Load(path));
        var options = new LongVideoOptions
        {
            Prompts = [new VideoPromptKeyframe(0, "a red fox running through snow")],
            Width = Size,
            Height = Size,
            Window = 4,
            Partitions = 1,
            Lookahead = true,
            CoherentTail = true,
            SubjectGuidance = true,
        };
        await using var generator = await LongVideoGenerator.CreateAsync(runtime, options);
        var image = new float[generator.ImageLength];
        var floats = generator.Queue.BufferFloats;
        for (int i = 0; i < 50; i++)
        {
            await generator.NextFrameAsync(image);
        }

        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < 500; i++)
        {
            await generator.NextFrameAsync(image);
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"managed heap {before / 1024} KiB -> {after / 1024} KiB over 500 frames");
        Assert.Equal(550, generator.FramesEmitted);
        Assert.Equal(550, generator.Memory!.Updates);
        Assert.Equal(floats, generator.Queue.BufferFloats);
        Assert.True(after - before < 256 * 1024, $"the heap grew by {(after - before) / 1024} KiB over 500 frames");
        Assert.All(image, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Bad_options_name_the_field()
    {
        static string Message(LongVideoOptions o) => Assert.Throws<ArgumentException>(o.Validate).Message;
        var good = new LongVideoOptions { Prompts = [new VideoPromptKeyframe(0, "a")] };
        good.Validate();
        Assert.StartsWith("prompts:", Message(good with { Prompts = [] }), StringComparison.Ordinal);
        Assert.StartsWith("prompts[0].start_frame", Message(good with { Prompts = [new VideoPromptKeyframe(3, "a")] }), StringComparison.Ordinal);
        Assert.StartsWith("prompts[2].start_frame", Message(good with { Prompts = [new(0, "a"), new(5, "b"), new(5, "c")] }), StringComparison.Ordinal);
        Assert.StartsWith("num_partitions", Message(good with { Partitions = 0 }), StringComparison.Ordinal);
        Assert.StartsWith("num_partitions", Message(good with { Partitions = 1000 }), StringComparison.Ordinal);
        Assert.StartsWith("width/height", Message(good with { Width = 100 }), StringComparison.Ordinal);
        Assert.StartsWith("subject_guidance_step", Message(good with { GuidanceStep = 0 }), StringComparison.Ordinal);
        Assert.StartsWith("subject_guidance_step", Message(good with { GuidanceStep = 1.5 }), StringComparison.Ordinal);
        Assert.StartsWith("guidance_momentum", Message(good with { GuidanceMomentum = 1 }), StringComparison.Ordinal);
    }

    private static float[] Mean(List<float[]> frames, int start, int count)
    {
        var mean = new float[frames[0].Length];
        for (int k = start; k < start + count; k++)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(mean, frames[k], mean);
        }

        System.Numerics.Tensors.TensorPrimitives.Multiply(mean, 1f / count, mean);
        return mean;
    }

    private static double ColourDistance(float[] a, float[] b)
    {
        var plane = a.Length / 3;
        double sum = 0;
        for (int c = 0; c < 3; c++)
        {
            var d = a.AsSpan(c * plane, plane).ToArray().Average() - b.AsSpan(c * plane, plane).ToArray().Average();
            sum += d * d;
        }

        return Math.Sqrt(sum);
    }

    private static double Difference(float[] a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += Math.Abs(a[i] - b[i]);
        }

        return sum / a.Length;
    }
}
