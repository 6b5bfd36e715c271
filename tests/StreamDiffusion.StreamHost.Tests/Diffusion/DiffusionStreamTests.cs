using Google.Protobuf;
using Grpc.Core;
using OpenCvSharp;
using StreamDiffusion.Pipeline.Imaging;
using StreamDiffusion.Protos.V1;
using FrameFormat = StreamDiffusion.Protos.V1.FrameFormat;

namespace StreamDiffusion.StreamHost.Tests.Diffusion;

/// <summary>
/// The host with the real diffusion pipeline over gRPC on loopback: frames from the shared photos
/// go in, generated frames come back in order with their metadata; live prompt changes; bad frames
/// fail alone; the unary Generate call.
/// </summary>
public sealed class DiffusionStreamTests(DiffusionHostFixture fixture) : IClassFixture<DiffusionHostFixture>
{
    private const int Size = 256;

    private static SessionConfig Config(string prompt, bool filter = true) => new()
    {
        Width = Size,
        Height = Size,
        Prompt = prompt,
        OutputEncoding = OutputEncoding.Jpeg,
        Quality = 90,
        SimilarityFilter = new Protos.V1.SimilarityFilter { Enabled = filter, Threshold = 0.98f, MaxSkipFrames = 10 },
    };

    [Fact]
    public async Task Sixty_pan_frames_come_back_in_order_as_generated_frames_that_follow_the_input()
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings());
        var (call, started) = await Frames.OpenAsync(host.Client, Config("a photo of an astronaut"));
        using var _ = call;
        Assert.Equal(Size, started.Width);

        var frames = PanFrames(60);
        var outstanding = new SemaphoreSlim(2);
        var reader = Task.Run(async () =>
        {
            var got = new List<OutputFrame>();
            while (got.Count < frames.Count && await Frames.NextFrameAsync(call.ResponseStream) is { } f)
            {
                got.Add(f.Clone());
                outstanding.Release();
            }

            return got;
        });
        for (var i = 0; i < frames.Count; i++)
        {
            await outstanding.WaitAsync();
            await call.RequestStream.WriteAsync(Frames.Request(frames[i]));
        }

        var responses = await reader;
        var (_, final) = await Frames.CompleteAsync(call);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal(60, responses.Count);
        for (var i = 0; i < 60; i++)
        {
            var output = responses[i];
            Assert.Equal(frames[i].Sequence, output.Sequence);
            Assert.Equal(frames[i].ClientTimestampUs, output.ClientTimestampUs);
            Assert.Null(output.Error);
            Assert.False(output.Dropped);
            Assert.Equal(FrameFormat.Jpeg, output.Format);
            Assert.Equal(Size, output.Width);
            Assert.Equal(Size, output.Height);
            if (!output.Skipped)
            {
                Assert.True(output.Timings.DenoiseMs > 0);
            }

            // A generated frame follows its own input (pan position), not the first or last one.
            using var decoded = Cv2.ImDecode(output.Data.ToByteArray(), ImreadModes.Grayscale);
            Assert.Equal(Size, decoded.Width);
        }

        var first = Luma(responses[2]);
        var last = Luma(responses[59]);
        Assert.True(Correlation(first, InputLuma(frames[2])) > Correlation(first, InputLuma(frames[59])));
        Assert.True(Correlation(last, InputLuma(frames[59])) > Correlation(last, InputLuma(frames[2])));
        Assert.NotNull(final);
        Assert.Equal(60UL, final.FramesIn);
        Assert.Equal(60UL, final.FramesOut);
        Assert.Equal(0UL, final.FramesFailed);
    }

    [Fact]
    public async Task A_prompt_change_mid_stream_changes_the_generated_frames()
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings());
        var (call, _) = await Frames.OpenAsync(host.Client, Config("a red fire", filter: false));
        using var _ = call;
        var frame = PanFrames(1)[0];
        var before = new List<byte[]>();
        for (var i = 0; i < 4; i++)
        {
            before.Add(Luma(await Frames.RoundTripAsync(call, frame)).Select(v => (byte)v).ToArray());
        }

        await call.RequestStream.WriteAsync(new StreamRequest { Control = new ControlUpdate { Prompt = "a calm blue ocean at night" } });
        var after = new List<byte[]>();
        for (var i = 0; i < 4; i++)
        {
            after.Add(Luma(await Frames.RoundTripAsync(call, frame)).Select(v => (byte)v).ToArray());
        }

        await Frames.CompleteAsync(call);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.True(MeanAbsoluteDifference(before[3], before[2]) < 1, "a static input under a fixed prompt gives a steady frame");
        Assert.True(MeanAbsoluteDifference(after[3], before[3]) > 2, "the new prompt must show in the frames after the change");
    }

    [Fact]
    public async Task Corrupt_and_truncated_images_fail_their_frame_and_the_stream_goes_on()
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings());
        var (call, _) = await Frames.OpenAsync(host.Client, Config("a rocket"));
        using var _ = call;
        var jpeg = File.ReadAllBytes(Path.Combine(SharedData, "images", "rocket.jpg"));

        var truncated = await Frames.RoundTripAsync(call, new InputFrame { Format = FrameFormat.Jpeg, Data = ByteString.CopyFrom(jpeg, 0, jpeg.Length / 2), Sequence = 1 });
        Assert.NotNull(truncated.Error);
        Assert.Equal((int)StatusCode.InvalidArgument, truncated.Error.Code);
        Assert.Contains("truncated", truncated.Error.Message, StringComparison.OrdinalIgnoreCase);

        var garbage = jpeg.ToArray();
        for (var i = 600; i < 3000; i++)
        {
            garbage[i] = 0x5A;
        }

        var corrupt = await Frames.RoundTripAsync(call, new InputFrame { Format = FrameFormat.Png, Data = ByteString.CopyFrom(garbage), Sequence = 2 });
        Assert.NotNull(corrupt.Error);
        Assert.Equal((int)StatusCode.InvalidArgument, corrupt.Error.Code);

        var good = await Frames.RoundTripAsync(call, new InputFrame { Format = FrameFormat.Jpeg, Data = ByteString.CopyFrom(jpeg), Sequence = 3 });
        Assert.Null(good.Error);
        Assert.Equal(3UL, good.Sequence);
        Assert.True(good.Data.Length > 1000);
        await Frames.CompleteAsync(call);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Generate_returns_an_image_for_a_prompt_and_for_a_prompt_with_an_image()
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings());
        var txt = await host.Client.GenerateAsync(new GenerateRequest { Prompt = "a red fire", Width = Size, Height = Size });
        using (var image = Cv2.ImDecode(txt.Data.ToByteArray(), ImreadModes.Color))
        {
            Assert.Equal(Size, image.Width);
        }

        var photo = File.ReadAllBytes(Path.Combine(SharedData, "images", "astronaut.png"));
        var img = await host.Client.GenerateAsync(new GenerateRequest
        {
            Prompt = "a red fire",
            Width = Size,
            Height = Size,
            Image = new InputFrame { Format = FrameFormat.Png, Data = ByteString.CopyFrom(photo) },
        });
        using var decoded = Cv2.ImDecode(img.Data.ToByteArray(), ImreadModes.Color);
        Assert.Equal(Size, decoded.Height);
        Assert.True(img.Timings.DenoiseMs > 0);
    }

    [Fact]
    public async Task ListModels_describes_the_loaded_pack()
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings());
        var models = await host.Client.ListModelsAsync(new ListModelsRequest());
        var model = Assert.Single(models.Models);
        Assert.Equal("default", model.Name);
        Assert.True(model.IsDefault);
        Assert.Equal("sd2", model.Family);
        Assert.Equal(1024, model.HiddenSize);
        Assert.True(model.HasTaesd);
        Assert.Equal("Cpu", model.Provider);
        Assert.Equal(fixture.PackPath, model.Path);

        // The fixture's pack comes from the synthetic writer: the host must say so, and how to load a real one.
        Assert.True(model.Synthetic);
        Assert.Contains("--model DIR", model.Note, StringComparison.Ordinal);
        Assert.Contains("docs/models.md", model.Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_pack_stops_the_host_at_start_with_the_loader_message()
    {
        var broken = Path.Combine(Path.GetTempPath(), $"sdnet-broken-{Guid.NewGuid():N}");
        Pipeline.Models.Synthetic.SyntheticPackWriter.Write(broken, new Pipeline.Models.Synthetic.SyntheticPackOptions { ImageSize = 128 });
        File.Delete(Path.Combine(broken, "vae_decoder", "model.onnx"));
        try
        {
            var error = await Assert.ThrowsAsync<Pipeline.Models.ModelPackException>(() => LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, "Models:DefaultModel=default", $"Models:Packs:default:Path={broken}"));
            Assert.Contains(Path.Combine("vae_decoder", "model.onnx"), error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(broken, recursive: true);
        }
    }

    private static string SharedData
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "StreamDiffusion.Net.sln")))
            {
                dir = dir.Parent;
            }

            return Path.GetFullPath(Path.Combine(dir!.FullName, "..", "shared", "data"));
        }
    }

    private static List<InputFrame> PanFrames(int count)
    {
        using var generator = PanVideoGenerator.FromFile(Path.Combine(SharedData, "images", "astronaut.png"));
        generator.OutputWidth = Size;
        generator.OutputHeight = Size;
        generator.FrameCount = count;
        return generator.Frames().Select((f, i) =>
        {
            var rgb = f.Data.ToArray();
            if (i % 2 == 0)
            {
                return new InputFrame { Format = FrameFormat.Rgb24, Width = f.Width, Height = f.Height, Data = ByteString.CopyFrom(rgb), Sequence = (ulong)(1000 + i), ClientTimestampUs = 5_000 + i };
            }

            using var mat = Mat.FromPixelData(f.Height, f.Width, MatType.CV_8UC3, rgb);
            using var bgr = new Mat();
            Cv2.CvtColor(mat, bgr, ColorConversionCodes.RGB2BGR);
            return new InputFrame { Format = FrameFormat.Jpeg, Data = ByteString.CopyFrom(bgr.ImEncode(".jpg")), Sequence = (ulong)(1000 + i), ClientTimestampUs = 5_000 + i };
        }).ToList();
    }

    private static double[] Luma(OutputFrame frame)
    {
        using var gray = Cv2.ImDecode(frame.Data.ToByteArray(), ImreadModes.Grayscale);
        return Coarse(gray);
    }

    private static double[] InputLuma(InputFrame frame)
    {
        using var gray = frame.Format == FrameFormat.Jpeg
            ? Cv2.ImDecode(frame.Data.ToByteArray(), ImreadModes.Grayscale)
            : Gray(frame);
        return Coarse(gray);
    }

    private static Mat Gray(InputFrame frame)
    {
        using var rgb = Mat.FromPixelData(frame.Height, frame.Width, MatType.CV_8UC3, frame.Data.ToByteArray());
        var gray = new Mat();
        Cv2.CvtColor(rgb, gray, ColorConversionCodes.RGB2GRAY);
        return gray;
    }

    private static double[] Coarse(Mat gray)
    {
        using var small = new Mat();
        Cv2.Resize(gray, small, new Size(32, 32), 0, 0, InterpolationFlags.Area);
        var values = new double[32 * 32];
        for (var y = 0; y < 32; y++)
        {
            for (var x = 0; x < 32; x++)
            {
                values[(y * 32) + x] = small.At<byte>(y, x);
            }
        }

        return values;
    }

    private static double Correlation(double[] a, double[] b)
    {
        var ma = a.Average();
        var mb = b.Average();
        double cov = 0, va = 0, vb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            cov += (a[i] - ma) * (b[i] - mb);
            va += (a[i] - ma) * (a[i] - ma);
            vb += (b[i] - mb) * (b[i] - mb);
        }

        return cov / Math.Sqrt((va * vb) + 1e-12);
    }

    private static double MeanAbsoluteDifference(byte[] a, byte[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Average();
}
