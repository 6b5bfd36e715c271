using OpenCvSharp;
using StreamDiffusion.Pipeline.Imaging;

namespace StreamDiffusion.StreamClient.Tests;

/// <summary>Test inputs made from the shared CC0 photos (../shared/data/images beside the repo), in a temp folder.</summary>
internal sealed class TestMedia : IDisposable
{
    public TestMedia()
    {
        Root = Directory.CreateTempSubdirectory("streamclient-tests-").FullName;
    }

    public string Root { get; }

    public static string ImagePath(string name) => System.IO.Path.Combine(s_sharedImages.Value, name);

    /// <summary>A pan over a photo written as numbered PNGs (non-square, so the client must crop).</summary>
    public string PanFolder(int frames, int width = 96, int height = 72, string photo = "chelsea.png")
    {
        var folder = System.IO.Path.Combine(Root, "pan_png");
        using var generator = Pan(photo, frames, width, height);
        using var sink = new VideoFrameSink(folder + System.IO.Path.DirectorySeparatorChar, 12, width, height);
        generator.WriteTo(sink);
        return folder;
    }

    /// <summary>A short Motion-JPEG .avi of a pan over a photo.</summary>
    public string PanAvi(int frames, int width = 96, int height = 72, string photo = "coffee.png")
    {
        var file = System.IO.Path.Combine(Root, "pan.avi");
        using var generator = Pan(photo, frames, width, height);
        using (var sink = new VideoFrameSink(file, 12, width, height))
        {
            Assert.Equal(VideoSinkKind.VideoFile, sink.Kind);
            generator.WriteTo(sink);
        }

        return file;
    }

    public string Path(string name) => System.IO.Path.Combine(Root, name);

    /// <summary>Counts the frames OpenCV can actually read from a video (the container count can be an estimate).</summary>
    public static (int Frames, int Width, int Height) ReadVideo(string file)
    {
        using var capture = new VideoCapture(file);
        Assert.True(capture.IsOpened(), "cannot open " + file);
        using var frame = new Mat();
        var (count, width, height) = (0, 0, 0);
        while (capture.Read(frame) && !frame.Empty())
        {
            (count, width, height) = (count + 1, frame.Width, frame.Height);
        }

        return (count, width, height);
    }

    /// <summary>Loads a PNG as packed RGB24.</summary>
    public static byte[] ReadRgb(string file)
    {
        using var bgr = Cv2.ImRead(file, ImreadModes.Color);
        using var rgb = new Mat();
        Cv2.CvtColor(bgr, rgb, ColorConversionCodes.BGR2RGB);
        var bytes = new byte[rgb.Width * rgb.Height * 3];
        System.Runtime.InteropServices.Marshal.Copy(rgb.Data, bytes, 0, bytes.Length);
        return bytes;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A video still held by a finaliser; the temp folder is cleaned up by the OS later.
        }
    }

    private static PanVideoGenerator Pan(string photo, int frames, int width, int height)
    {
        var generator = PanVideoGenerator.FromFile(ImagePath(photo));
        generator.OutputWidth = width;
        generator.OutputHeight = height;
        generator.FrameCount = frames;
        generator.Fps = 12;
        return generator;
    }

    private static readonly Lazy<string> s_sharedImages = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "StreamDiffusion.Net.sln")))
            {
                return System.IO.Path.GetFullPath(System.IO.Path.Combine(dir.FullName, "..", "shared", "data", "images"));
            }
        }

        throw new InvalidOperationException("StreamDiffusion.Net.sln not found above " + AppContext.BaseDirectory);
    });
}
