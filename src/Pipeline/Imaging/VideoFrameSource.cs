using System.Runtime.InteropServices;
using OpenCvSharp;

namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>
/// Reads frames as RGB24 from a video file (OpenCV / FFmpeg), a single image, or a folder of images
/// taken in ordinal file-name order. Used by the offline <c>render</c> verb, the command-line client
/// and tests. Each <see cref="ReadFrames"/> enumeration starts from the first frame again.
/// </summary>
public sealed class VideoFrameSource
{
    private static readonly string[] s_imageExtensionList = [".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"];
    private readonly string[] _files;

    /// <summary>Opens <paramref name="path"/> and reads its frame rate, frame count and size.</summary>
    /// <param name="path">A video file, an image file, or a folder of images.</param>
    /// <param name="fallbackFps">Frame rate for images and for videos that do not declare one.</param>
    /// <exception cref="FileNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file cannot be read as video or image, or the folder holds no images.</exception>
    public VideoFrameSource(string path, double fallbackFps = 30)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fallbackFps);
        Path = System.IO.Path.GetFullPath(path);
        Fps = fallbackFps;

        if (Directory.Exists(Path))
        {
            Kind = VideoSourceKind.ImageFolder;
            _files = Directory.EnumerateFiles(Path).Where(IsImageFile).OrderBy(f => f, StringComparer.Ordinal).ToArray();
            if (_files.Length == 0)
            {
                throw new InvalidDataException($"Folder {Path} holds no images ({string.Join(", ", s_imageExtensionList)}).");
            }

            FrameCount = _files.Length;
            (Width, Height) = ImageSize(_files[0]);
            return;
        }

        if (!File.Exists(Path))
        {
            throw new FileNotFoundException($"No video, image or folder at {Path}.", Path);
        }

        if (IsImageFile(Path))
        {
            Kind = VideoSourceKind.ImageFile;
            _files = [Path];
            FrameCount = 1;
            (Width, Height) = ImageSize(Path);
            return;
        }

        Kind = VideoSourceKind.VideoFile;
        _files = [];
        using var capture = Open(Path);
        var fps = capture.Fps;
        if (double.IsFinite(fps) && fps > 0)
        {
            Fps = fps;
        }

        FrameCount = Math.Max(0, capture.FrameCount);
        Width = capture.FrameWidth;
        Height = capture.FrameHeight;
    }

    /// <summary>The file extensions treated as still images.</summary>
    public static IReadOnlyList<string> ImageExtensions => s_imageExtensionList;

    /// <summary>Full path of the source.</summary>
    public string Path { get; }

    /// <summary>What the source is.</summary>
    public VideoSourceKind Kind { get; }

    /// <summary>Frames per second: the container's rate for video, the fallback rate for images.</summary>
    public double Fps { get; }

    /// <summary>Number of frames: exact for images; for video the container's count, which can be an estimate.</summary>
    public int FrameCount { get; }

    /// <summary>Width of the first frame.</summary>
    public int Width { get; }

    /// <summary>Height of the first frame.</summary>
    public int Height { get; }

    /// <summary>
    /// Enumerates the frames in order. The frame's data is a buffer reused for the next frame; copy
    /// it to keep it. Frames of a folder may differ in size.
    /// </summary>
    public IEnumerable<RgbFrame> ReadFrames() => Kind == VideoSourceKind.VideoFile ? ReadVideo() : ReadImages();

    private IEnumerable<RgbFrame> ReadVideo()
    {
        using var capture = Open(Path);
        using var bgr = new Mat();
        using var rgb = new Mat();
        byte[] buffer = [];
        for (var index = 0; capture.Read(bgr) && !bgr.Empty(); index++)
        {
            yield return ToFrame(bgr, rgb, ref buffer, index);
        }
    }

    private IEnumerable<RgbFrame> ReadImages()
    {
        using var rgb = new Mat();
        byte[] buffer = [];
        for (var index = 0; index < _files.Length; index++)
        {
            using var bgr = Cv2.ImRead(_files[index], ImreadModes.Color);
            if (bgr.Empty())
            {
                throw new InvalidDataException($"Cannot read image {_files[index]}.");
            }

            yield return ToFrame(bgr, rgb, ref buffer, index);
        }
    }

    private RgbFrame ToFrame(Mat bgr, Mat rgb, ref byte[] buffer, int index)
    {
        Cv2.CvtColor(bgr, rgb, ColorConversionCodes.BGR2RGB);
        var length = rgb.Width * rgb.Height * 3;
        if (buffer.Length != length)
        {
            buffer = new byte[length];
        }

        // CvtColor output is a fresh continuous matrix, so one copy covers all rows.
        Marshal.Copy(rgb.Data, buffer, 0, length);
        return new RgbFrame(buffer, rgb.Width, rgb.Height, rgb.Width * 3, index, TimeSpan.FromSeconds(index / Fps));
    }

    private static VideoCapture Open(string path)
    {
        var capture = new VideoCapture(path);
        if (!capture.IsOpened())
        {
            capture.Dispose();
            throw new InvalidDataException($"OpenCV cannot open {path} as a video.");
        }

        return capture;
    }

    private static (int Width, int Height) ImageSize(string file)
    {
        using var image = Cv2.ImRead(file, ImreadModes.Color);
        if (image.Empty())
        {
            throw new InvalidDataException($"Cannot read image {file}.");
        }

        return (image.Width, image.Height);
    }

    private static bool IsImageFile(string file) =>
        s_imageExtensionList.Contains(System.IO.Path.GetExtension(file), StringComparer.OrdinalIgnoreCase);
}
