using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Imaging;
using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Models.Synthetic;
using StreamDiffusion.Pipeline.Streaming;
using StreamDiffusion.Pipeline.Tests.Models;

namespace StreamDiffusion.Pipeline.Tests.Streaming;

/// <summary>
/// The whole per-stream pipeline on a real (synthetic) ONNX pack: engines, Stream Batch, filter,
/// live updates and offline render.
/// </summary>
public sealed class ImageStreamTests(SyntheticPackFixture packs) : IClassFixture<SyntheticPackFixture>
{
    private const int Size = 256;

    private static SyntheticPackOptions PackOptions => new() { ImageSize = 512, TokenizerSource = TestPaths.ClipVocabulary, Taesd = true };

    private static ImageStreamOptions StreamOptions(string prompt) => new()
    {
        Width = Size,
        Height = Size,
        Prompt = prompt,
        Filter = new SimilarityFilterSettings(Enabled: false),
        Output = new FrameEncoding { Format = FrameFormat.Rgb24 },
    };

    [Fact]
    public async Task Four_concurrent_streams_on_one_engine_get_exactly_what_each_gets_alone()
    {
        using var pack = ModelPack.Load(packs.Get(PackOptions));
        var prompts = new[] { "a photo of a cat", "a red fire", "a calm blue ocean", "an astronaut riding a horse on mars" };
        var frames = PanFrames(12);

        // Alone: each stream on its own runtime with batching off.
        var alone = new List<byte[][]>();
        foreach (var prompt in prompts)
        {
            await using var runtime = new ModelRuntime(pack, new BatchingOptions { MaxBatch = 1 }, ownsPack: false);
            alone.Add(await RunAsync(runtime, StreamOptions(prompt), frames));
        }

        // Together: four streams on one shared runtime, submitted concurrently, micro-batched.
        await using var shared = new ModelRuntime(pack, new BatchingOptions { MaxBatch = 8, MaxDelay = TimeSpan.FromMilliseconds(5) }, ownsPack: false);
        var together = await Task.WhenAll(prompts.Select(p => Task.Run(() => RunAsync(shared, StreamOptions(p), frames))));

        for (var s = 0; s < prompts.Length; s++)
        {
            for (var i = 0; i < frames.Count; i++)
            {
                Assert.True(alone[s][i].AsSpan().SequenceEqual(together[s][i]), $"stream {s} frame {i} differs from the stream run alone");
            }
        }

        Assert.True(shared.Denoiser.GetStats().AverageBatchSize > 1.0, $"the engine should batch concurrent streams (average {shared.Denoiser.GetStats().AverageBatchSize:F2})");
    }

    [Fact]
    public async Task Output_resembles_the_input_differs_by_prompt_and_is_reproducible()
    {
        using var pack = ModelPack.Load(packs.Get(PackOptions));
        await using var runtime = new ModelRuntime(pack, ownsPack: false);
        var astronaut = Frame("astronaut.png");
        var coffee = Frame("coffee.png");

        var fire = await RunAsync(runtime, StreamOptions("a red fire"), [astronaut, astronaut, astronaut]);
        var fireAgain = await RunAsync(runtime, StreamOptions("a red fire"), [astronaut, astronaut, astronaut]);
        var ocean = await RunAsync(runtime, StreamOptions("a calm blue ocean at night"), [astronaut, astronaut, astronaut]);
        var coffeeOut = await RunAsync(runtime, StreamOptions("a red fire"), [coffee, coffee, coffee]);

        var output = fire[^1];
        Assert.Equal(fire[^1], fireAgain[^1]);
        var withInput = Correlation(Luma(output), Luma(astronaut.Rgb));
        var withOther = Correlation(Luma(output), Luma(coffee.Rgb));
        Assert.True(withInput > 0.6, $"output/input luma correlation {withInput:F3}");
        Assert.True(withInput > withOther + 0.3, $"output should resemble its own input ({withInput:F3}) more than another photo ({withOther:F3})");
        Assert.True(Correlation(Luma(coffeeOut[^1]), Luma(coffee.Rgb)) > 0.6);
        Assert.True(MeanAbsoluteDifference(fire[^1], ocean[^1]) > 3, "different prompts must give visibly different frames");
    }

    [Fact]
    public async Task Live_prompt_update_takes_effect_within_n_frames_and_never_emits_a_blank_frame()
    {
        using var pack = ModelPack.Load(packs.Get(PackOptions));
        await using var runtime = new ModelRuntime(pack, ownsPack: false);
        var frame = Frame("astronaut.png");
        var options = StreamOptions("a red fire") with { TIndexList = [32, 40, 45] };
        var n = options.TIndexList.Count;

        await using var reference = await ImageStream.CreateAsync(runtime, options with { Prompt = "a calm blue ocean at night" });
        await using var stream = await ImageStream.CreateAsync(runtime, options);
        var outputs = new List<byte[]>();
        var referenceOutputs = new List<byte[]>();
        for (var i = 0; i < 8; i++)
        {
            if (i == 3)
            {
                await stream.UpdateAsync(new StreamUpdate { Prompt = "a calm blue ocean at night" });
            }

            outputs.Add((await stream.ProcessFrameAsync(frame.Rgb, FrameDescriptor.Rgb24(frame.Width, frame.Height))).Output.Data.ToArray());
            referenceOutputs.Add((await reference.ProcessFrameAsync(frame.Rgb, FrameDescriptor.Rgb24(frame.Width, frame.Height))).Output.Data.ToArray());
        }

        var correlations = outputs.Select(o => Correlation(Luma(o), Luma(frame.Rgb))).ToArray();
        foreach (var output in outputs)
        {
            Assert.True(Variance(Luma(output)) > 50, "a frame must never be blank or flat");
        }

        Assert.True(correlations.Max() - correlations.Min() < 0.05, "every frame should carry the input's structure equally");
        Assert.True(correlations.Min() > 0.5, $"a frame must never be undenoised noise (correlations with the input {string.Join(", ", correlations.Select(c => c.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)))})");

        Assert.NotEqual(outputs[2], outputs[3]); // the very next frame changes
        Assert.Equal(referenceOutputs[3 + n - 1], outputs[3 + n - 1]); // within n frames it is exactly the new prompt's stream
    }

    [Fact]
    public async Task Similarity_filter_skips_a_static_input_without_unet_calls()
    {
        using var pack = ModelPack.Load(packs.Get(PackOptions));
        await using var runtime = new ModelRuntime(pack, ownsPack: false);
        var frame = Frame("rocket.jpg");
        await using var stream = await ImageStream.CreateAsync(runtime, StreamOptions("a rocket") with { Filter = new SimilarityFilterSettings(true, 0.98, 10) });
        byte[]? first = null;
        for (var i = 0; i < 60; i++)
        {
            var result = await stream.ProcessFrameAsync(frame.Rgb, FrameDescriptor.Rgb24(frame.Width, frame.Height));
            first ??= result.Output.Data.ToArray();
            if (result.Skipped)
            {
                Assert.Equal(0, result.Timings.DenoiseMs);
            }
        }

        Assert.True(stream.SkippedFrames >= 0.85 * 59, $"skipped {stream.SkippedFrames} of 60");
        Assert.True(stream.UNetCalls <= 60 - stream.SkippedFrames + stream.Denoiser.StepCount, $"{stream.UNetCalls} UNet calls for {60 - stream.SkippedFrames} processed frames");
    }

    [Fact]
    public async Task Render_writes_an_image_and_a_pan_video_that_resemble_their_inputs()
    {
        using var pack = ModelPack.Load(packs.Get(PackOptions));
        await using var runtime = new ModelRuntime(pack, ownsPack: false);
        using var temp = new TempDirectory("sdnet-render");
        var options = StreamOptions("a red fire") with { Width = 256, Height = 256 };

        var image = await OfflineRenderer.RenderAsync(runtime, options, TestPaths.Image("astronaut.png"), temp.Combine("astronaut.png"));
        Assert.Equal(1, image.FramesOut);
        var rendered = new VideoFrameSource(temp.Combine("astronaut.png")).ReadFrames().Single();
        var input = new VideoFrameSource(TestPaths.Image("astronaut.png")).ReadFrames().Single();
        Assert.True(Correlation(LumaResized(rendered, 64), LumaResized(input, 64)) > 0.6);

        // A generated pan video in, a video out with the same number of frames, each like its input.
        using (var generator = PanVideoGenerator.FromFile(TestPaths.Image("coffee.png")))
        {
            generator.FrameCount = 10;
            using var sink = new VideoFrameSink(temp.Combine("pan.avi"), 10, 256, 256);
            generator.WriteTo(sink);
        }

        var video = await OfflineRenderer.RenderAsync(runtime, options with { FrameBuffer = 2, TIndexList = [32, 40, 45] }, temp.Combine("pan.avi"), temp.Combine("out.avi"));
        Assert.Equal(10, video.FramesIn);
        Assert.Equal(10, video.FramesOut);
        var inFrames = new VideoFrameSource(temp.Combine("pan.avi")).ReadFrames().Select(f => LumaResized(f, 64)).ToArray();
        var outFrames = new VideoFrameSource(video.OutputPath).ReadFrames().Select(f => LumaResized(f, 64)).ToArray();
        Assert.Equal(10, outFrames.Length);
        for (var i = 0; i < 10; i++)
        {
            var own = Correlation(outFrames[i], inFrames[i]);
            Assert.True(own > 0.6, $"frame {i}: correlation with its input {own:F3}");
        }

        // Frame alignment: output k matches input k better than input k±5.
        Assert.True(Correlation(outFrames[0], inFrames[0]) > Correlation(outFrames[0], inFrames[9]));
        Assert.True(Correlation(outFrames[9], inFrames[9]) > Correlation(outFrames[9], inFrames[0]));

        var blue = await OfflineRenderer.RenderAsync(runtime, options with { Prompt = "a calm blue ocean at night" }, TestPaths.Image("astronaut.png"), temp.Combine("blue.png"));
        var blueFrame = new VideoFrameSource(blue.OutputPath).ReadFrames().Single();
        Assert.True(MeanAbsoluteDifference(rendered.Data.ToArray(), blueFrame.Data.ToArray()) > 3);
    }

    private static async Task<byte[][]> RunAsync(ModelRuntime runtime, ImageStreamOptions options, IReadOnlyList<(byte[] Rgb, int Width, int Height)> frames)
    {
        await using var stream = await ImageStream.CreateAsync(runtime, options);
        var outputs = new byte[frames.Count][];
        for (var i = 0; i < frames.Count; i++)
        {
            var result = await stream.ProcessFrameAsync(frames[i].Rgb, FrameDescriptor.Rgb24(frames[i].Width, frames[i].Height));
            outputs[i] = result.Output.Data.ToArray();
        }

        return outputs;
    }

    private static (byte[] Rgb, int Width, int Height) Frame(string name)
    {
        var frame = new VideoFrameSource(TestPaths.Image(name)).ReadFrames().Single();
        using var decoder = new FrameDecoder(new FrameDecoderOptions { Width = Size, Height = Size });
        var tensor = new float[3 * Size * Size];
        decoder.Decode(frame.Data.Span, frame.Descriptor, tensor);
        return (ImageTensor.ToInterleaved(tensor, Size, Size), Size, Size);
    }

    private static List<(byte[] Rgb, int Width, int Height)> PanFrames(int count)
    {
        using var generator = PanVideoGenerator.FromFile(TestPaths.Image("astronaut.png"));
        generator.OutputWidth = Size;
        generator.OutputHeight = Size;
        generator.FrameCount = count;
        return generator.Frames().Select(f => (f.Data.ToArray(), f.Width, f.Height)).ToList();
    }

    /// <summary>Luma averaged over 4x4 blocks: structure, not per-pixel noise, is what must survive.</summary>
    private static double[] Luma(byte[] rgb)
    {
        var side = (int)Math.Sqrt(rgb.Length / 3);
        var fine = FineLuma(rgb);
        const int block = 4;
        var coarse = new double[(side / block) * (side / block)];
        for (var y = 0; y < side; y++)
        {
            for (var x = 0; x < side; x++)
            {
                coarse[((y / block) * (side / block)) + (x / block)] += fine[(y * side) + x] / (block * block);
            }
        }

        return coarse;
    }

    private static double[] FineLuma(byte[] rgb)
    {
        var luma = new double[rgb.Length / 3];
        for (var i = 0; i < luma.Length; i++)
        {
            luma[i] = (0.299 * rgb[3 * i]) + (0.587 * rgb[(3 * i) + 1]) + (0.114 * rgb[(3 * i) + 2]);
        }

        return luma;
    }

    private static double[] LumaResized(RgbFrame frame, int size)
    {
        using var decoder = new FrameDecoder(new FrameDecoderOptions { Width = size, Height = size });
        var tensor = new float[3 * size * size];
        decoder.Decode(frame.Data.Span, frame.Descriptor, tensor);
        return Luma(ImageTensor.ToInterleaved(tensor, size, size));
    }

    private static double Correlation(double[] a, double[] b)
    {
        var meanA = a.Average();
        var meanB = b.Average();
        double cov = 0, varA = 0, varB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            cov += (a[i] - meanA) * (b[i] - meanB);
            varA += (a[i] - meanA) * (a[i] - meanA);
            varB += (b[i] - meanB) * (b[i] - meanB);
        }

        return cov / Math.Sqrt((varA * varB) + 1e-12);
    }

    private static double Variance(double[] values)
    {
        var mean = values.Average();
        return values.Sum(v => (v - mean) * (v - mean)) / values.Length;
    }

    private static double MeanAbsoluteDifference(byte[] a, byte[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Average();
}
