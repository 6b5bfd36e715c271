using OpenCvSharp;
using StreamDiffusion.Pipeline.Imaging;
using Xunit.Abstractions;

namespace StreamDiffusion.Pipeline.Tests.Imaging;

public sealed class VideoIoTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _temp = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "sd-imaging-" + Guid.NewGuid().ToString("N"))).FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void PanSequence_MovesSmoothly()
    {
        using var pan = PanVideoGenerator.FromFile(TestImages.PathOf("rocket.jpg"));
        var frames = pan.Frames().Select(f => f.Data.ToArray()).ToList();

        Assert.Equal(24, frames.Count);
        Assert.All(frames, f => Assert.Equal(256 * 256 * 3, f.Length));

        // Neighbours are close but not equal; the ends are far apart.
        for (var i = 1; i < frames.Count; i++)
        {
            var psnr = ImageTensor.Psnr(frames[i - 1], frames[i]);
            Assert.True(psnr is > 18 and < 60, $"frames {i - 1}/{i}: {psnr:F1} dB");
        }

        var ends = ImageTensor.Psnr(frames[0], frames[^1]);
        output.WriteLine($"neighbours {ImageTensor.Psnr(frames[0], frames[1]):F1} dB, first vs last {ends:F1} dB");
        Assert.True(ends < ImageTensor.Psnr(frames[0], frames[1]) - 3);

        // Windows move right and shrink (zoom in), inside the photo.
        var first = pan.Window(0);
        var last = pan.Window(23);
        Assert.True(last.X > first.X && last.Width < first.Width);
        Assert.True(last.X + last.Width <= 640 && last.Y + last.Height <= 427);

        // Frame 0 is the first window resized.
        using var bgr = Cv2.ImRead(TestImages.PathOf("rocket.jpg"));
        using var crop = new Mat(bgr, new Rect(first.X, first.Y, first.Width, first.Height));
        using var resized = new Mat();
        Cv2.Resize(crop, resized, new Size(256, 256), 0, 0, InterpolationFlags.Area);
        using var rgb = new Mat();
        Cv2.CvtColor(resized, rgb, ColorConversionCodes.BGR2RGB);
        Assert.Equal(TestImages.Pixels(rgb), frames[0]);
    }

    [Theory]
    [InlineData("pan.avi", "MJPG")]
    [InlineData("pan.mp4", "mp4v")]
    public void VideoFile_WriteThenRead_SameCountAndSimilarFrames(string name, string codec)
    {
        using var pan = PanVideoGenerator.FromFile(TestImages.PathOf("rocket.jpg"));
        var originals = pan.Frames().Select(f => f.Data.ToArray()).ToList();
        var path = Path.Combine(_temp, name);

        using (var sink = new VideoFrameSink(path, 24, 256, 256))
        {
            Assert.Equal(VideoSinkKind.VideoFile, sink.Kind);
            Assert.Equal(codec, sink.Codec);
            Assert.Equal(24, pan.WriteTo(sink));
            Assert.Equal(24, sink.FramesWritten);
        }

        var source = new VideoFrameSource(path);
        Assert.Equal(VideoSourceKind.VideoFile, source.Kind);
        Assert.Equal(24, source.Fps, 3);
        Assert.Equal((256, 256), (source.Width, source.Height));

        var count = 0;
        var worst = double.PositiveInfinity;
        foreach (var frame in source.ReadFrames())
        {
            Assert.Equal((256, 256, 768), (frame.Width, frame.Height, frame.Stride));
            Assert.Equal(TimeSpan.FromSeconds(frame.Index / 24.0), frame.Timestamp);
            worst = Math.Min(worst, ImageTensor.Psnr(originals[frame.Index], frame.Data.Span));
            count++;
        }

        output.WriteLine($"{name} ({codec}): {new FileInfo(path).Length} bytes, worst frame PSNR {worst:F1} dB");
        Assert.Equal(24, count);
        Assert.Equal(24, source.FrameCount);
        Assert.True(worst > 25, $"worst frame {worst:F1} dB");
    }

    [Fact]
    public void Folder_WriteThenRead_IsLossless()
    {
        using var pan = PanVideoGenerator.FromFile(TestImages.PathOf("coffee.png"));
        pan.FrameCount = 8;
        pan.OutputWidth = 160;
        pan.OutputHeight = 120;
        var folder = Path.Combine(_temp, "frames");
        using (var sink = new VideoFrameSink(folder, 12, 160, 120))
        {
            Assert.Equal(VideoSinkKind.ImageFolder, sink.Kind);
            Assert.Null(sink.Codec);
            pan.WriteTo(sink);
        }

        Assert.True(File.Exists(Path.Combine(folder, "frame_000007.png")));
        var source = new VideoFrameSource(folder, fallbackFps: 12);
        Assert.Equal(VideoSourceKind.ImageFolder, source.Kind);
        Assert.Equal(8, source.FrameCount);
        Assert.Equal(12, source.Fps);
        Assert.Equal((160, 120), (source.Width, source.Height));

        var originals = pan.Frames().Select(f => f.Data.ToArray()).ToList();
        var read = source.ReadFrames().Select(f => f.Data.ToArray()).ToList();
        Assert.Equal(originals, read);
    }

    [Fact]
    public void UnknownContainer_FallsBackToPngFolder()
    {
        var path = Path.Combine(_temp, "out.notavideo");
        using var sink = new VideoFrameSink(path, 10, 64, 48);
        sink.WriteTensor(new float[3 * 64 * 48], 64, 48);

        Assert.Equal(VideoSinkKind.ImageFolder, sink.Kind);
        Assert.Equal(Path.Combine(_temp, "out_frames"), sink.OutputPath);
        using var frame = Cv2.ImRead(Path.Combine(sink.OutputPath, "frame_000000.png"));
        Assert.Equal(new Size(64, 48), frame.Size());
        Assert.Equal(128, frame.At<Vec3b>(10, 10).Item0);
    }

    [Fact]
    public void Sink_ResizesTensorsAndFramesToItsSize()
    {
        var folder = Path.Combine(_temp, "resized") + Path.DirectorySeparatorChar;
        var (rgb, w, h) = TestImages.Rgb("astronaut.png");
        using (var sink = new VideoFrameSink(folder, 10, 128, 128))
        {
            sink.Write(rgb, w, h);
            sink.WriteTensor(ImageTensor.FromInterleaved(rgb, w, h), w, h);
        }

        var frames = new VideoFrameSource(folder).ReadFrames().Select(f => (f.Width, f.Height, Pixels: f.Data.ToArray())).ToList();
        Assert.Equal(2, frames.Count);
        Assert.All(frames, f => Assert.Equal((128, 128), (f.Width, f.Height)));
        Assert.Equal(frames[0].Pixels, frames[1].Pixels);
    }

    [Fact]
    public void ImageFile_IsOneFrame()
    {
        var source = new VideoFrameSource(TestImages.PathOf("chelsea.png"), fallbackFps: 5);
        var frames = source.ReadFrames().Select(f => f.Data.ToArray()).ToList();

        Assert.Equal(VideoSourceKind.ImageFile, source.Kind);
        Assert.Equal((451, 300, 1, 5.0), (source.Width, source.Height, source.FrameCount, source.Fps));
        Assert.Equal(TestImages.Rgb("chelsea.png").Rgb, Assert.Single(frames));
    }

    [Fact]
    public void MissingOrUnreadableSources_Throw()
    {
        Assert.Throws<FileNotFoundException>(() => new VideoFrameSource(Path.Combine(_temp, "missing.mp4")));
        var junk = Path.Combine(_temp, "junk.mp4");
        File.WriteAllBytes(junk, [1, 2, 3, 4]);
        Assert.Throws<InvalidDataException>(() => new VideoFrameSource(junk));
        var empty = Directory.CreateDirectory(Path.Combine(_temp, "empty")).FullName;
        Assert.Throws<InvalidDataException>(() => new VideoFrameSource(empty));
    }
}
