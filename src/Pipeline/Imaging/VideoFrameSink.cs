using System.Globalization;
using OpenCvSharp;

namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>
/// Writes RGB frames (or [3, H, W] tensors) to a video file or to numbered PNGs in a folder. The
/// bundled OpenCV build (FFmpeg backend, no H.264 encoder) writes .mp4 as MPEG-4 Part 2 ("mp4v") and
/// .avi as Motion JPEG ("MJPG"). When the path is a folder (exists, ends with a separator, or has no
/// extension) or no codec opens, frames go to frame_000000.png, … — in the latter case in a folder
/// named after the file (<c>out.xyz</c> → <c>out_frames</c>); <see cref="Kind"/> and
/// <see cref="OutputPath"/> say which happened. Frames of another size are resized to the sink size.
/// </summary>
public sealed class VideoFrameSink : IDisposable
{
    private readonly VideoWriter? _writer;
    private readonly Mat _rgb = new();
    private readonly Mat _bgr = new();
    private readonly Mat _resized = new();
    private static readonly int[] s_fastPng = [(int)ImwriteFlags.PngCompression, 1];
    private bool _disposed;

    /// <summary>Opens the output.</summary>
    /// <param name="path">A .mp4 / .avi (or other FFmpeg container) file, or a folder.</param>
    /// <param name="fps">Frame rate written into the video.</param>
    /// <param name="width">Frame width of the output.</param>
    /// <param name="height">Frame height of the output.</param>
    public VideoFrameSink(string path, double fps, int width, int height)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        (Fps, Width, Height) = (fps, width, height);

        var full = Path.GetFullPath(path);
        var isFolder = Directory.Exists(full)
            || path.EndsWith(Path.DirectorySeparatorChar)
            || path.EndsWith(Path.AltDirectorySeparatorChar)
            || string.IsNullOrEmpty(Path.GetExtension(full));
        if (!isFolder)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            foreach (var codec in Codecs(Path.GetExtension(full)))
            {
                VideoWriter writer;
                try
                {
                    writer = new VideoWriter(full, FourCC.FromString(codec), fps, new Size(width, height));
                }
                catch (OpenCVException)
                {
                    // Some backends assert instead of failing to open; treat it as "this codec does not work".
                    continue;
                }

                if (writer.IsOpened())
                {
                    (_writer, Codec, Kind, OutputPath) = (writer, codec, VideoSinkKind.VideoFile, full);
                    return;
                }

                writer.Dispose();
            }

            full = Path.Combine(Path.GetDirectoryName(full)!, Path.GetFileNameWithoutExtension(full) + "_frames");
        }

        Kind = VideoSinkKind.ImageFolder;
        OutputPath = Path.TrimEndingDirectorySeparator(full);
        Directory.CreateDirectory(OutputPath);
    }

    /// <summary>Whether frames go to a video file or a PNG folder.</summary>
    public VideoSinkKind Kind { get; }

    /// <summary>The video file or folder actually written.</summary>
    public string OutputPath { get; }

    /// <summary>The FourCC used for a video file (e.g. "mp4v", "MJPG"), or null for a PNG folder.</summary>
    public string? Codec { get; }

    /// <summary>Frame rate.</summary>
    public double Fps { get; }

    /// <summary>Output frame width.</summary>
    public int Width { get; }

    /// <summary>Output frame height.</summary>
    public int Height { get; }

    /// <summary>Frames written so far.</summary>
    public int FramesWritten { get; private set; }

    /// <summary>The file name of frame <paramref name="index"/> in a PNG folder.</summary>
    public static string FrameFileName(int index) => "frame_" + index.ToString("D6", CultureInfo.InvariantCulture) + ".png";

    /// <summary>Writes one frame of interleaved RGB24 rows.</summary>
    public unsafe void Write(ReadOnlySpan<byte> rgb, int width, int height, int stride = 0)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        stride = stride == 0 ? width * 3 : stride;
        if (stride < width * 3 || rgb.Length < ((long)stride * (height - 1)) + (width * 3))
        {
            throw new ArgumentException($"{width}x{height} RGB24 with stride {stride} does not fit in {rgb.Length} bytes.", nameof(rgb));
        }

        _rgb.Create(height, width, MatType.CV_8UC3);
        var step = (int)_rgb.Step();
        var data = (byte*)_rgb.Data;
        for (var y = 0; y < height; y++)
        {
            rgb.Slice(y * stride, width * 3).CopyTo(new Span<byte>(data + ((long)y * step), width * 3));
        }

        Cv2.CvtColor(_rgb, _bgr, ColorConversionCodes.RGB2BGR);
        WriteBgr();
    }

    /// <summary>Writes a frame from a source or generator.</summary>
    public void Write(RgbFrame frame) => Write(frame.Data.Span, frame.Width, frame.Height, frame.Stride);

    /// <summary>Writes a [3, H, W] tensor (R, G, B planes) in <paramref name="range"/>.</summary>
    public unsafe void WriteTensor(ReadOnlySpan<float> tensor, int width, int height, TensorRange range = TensorRange.MinusOneToOne)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _bgr.Create(height, width, MatType.CV_8UC3);
        var step = (int)_bgr.Step();
        ImageTensor.ToInterleaved(tensor, width, height, new Span<byte>((void*)_bgr.Data, step * height), step, bgr: true, range);
        WriteBgr();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;

        // Release finalises the container (moov atom / AVI index); without it the file is unreadable.
        _writer?.Release();
        _writer?.Dispose();
        _rgb.Dispose();
        _bgr.Dispose();
        _resized.Dispose();
    }

    private void WriteBgr()
    {
        var frame = _bgr;
        if (_bgr.Width != Width || _bgr.Height != Height)
        {
            var shrinking = _bgr.Width >= Width && _bgr.Height >= Height;
            Cv2.Resize(_bgr, _resized, new Size(Width, Height), 0, 0, shrinking ? InterpolationFlags.Area : InterpolationFlags.Linear);
            frame = _resized;
        }

        if (_writer is not null)
        {
            _writer.Write(frame);
        }
        else
        {
            var file = Path.Combine(OutputPath, FrameFileName(FramesWritten));
            if (!Cv2.ImWrite(file, frame, s_fastPng))
            {
                throw new IOException($"OpenCV could not write {file}.");
            }
        }

        FramesWritten++;
    }

    private static string[] Codecs(string extension) => extension.ToLowerInvariant() switch
    {
        // MJPG inside .mp4 is rejected by FFmpeg (it silently swaps in mp4v), so each container gets its own order.
        ".avi" => ["MJPG", "mp4v", "XVID"],
        ".mp4" or ".m4v" or ".mov" => ["mp4v"],
        _ => ["mp4v", "MJPG"],
    };
}
