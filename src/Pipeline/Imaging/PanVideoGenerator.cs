using OpenCvSharp;

namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>
/// Makes a short synthetic camera move over a still photo: a crop window with the output's aspect
/// ratio glides from a start centre to an end centre while zooming from <see cref="StartZoom"/> to
/// <see cref="EndZoom"/> (zoom 1 = the largest window that fits). Consecutive frames are similar but
/// not identical, which is what the similarity filter and the render verb need to be tested on.
/// Deterministic: the same settings give the same frames. Set the properties before rendering.
/// </summary>
public sealed unsafe class PanVideoGenerator : IDisposable
{
    private readonly Mat _source;
    private readonly Mat _resized = new();

    /// <summary>Creates a generator over interleaved RGB24 pixels (copied).</summary>
    public PanVideoGenerator(ReadOnlySpan<byte> rgb, int width, int height, int stride = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        stride = stride == 0 ? width * 3 : stride;
        if (stride < width * 3 || rgb.Length < ((long)stride * (height - 1)) + (width * 3))
        {
            throw new ArgumentException($"{width}x{height} RGB24 with stride {stride} does not fit in {rgb.Length} bytes.", nameof(rgb));
        }

        _source = new Mat(height, width, MatType.CV_8UC3);
        var step = (int)_source.Step();
        for (var y = 0; y < height; y++)
        {
            rgb.Slice(y * stride, width * 3).CopyTo(new Span<byte>((byte*)_source.Data + ((long)y * step), width * 3));
        }
    }

    private PanVideoGenerator(Mat rgb)
    {
        _source = rgb;
    }

    /// <summary>Width of the photo.</summary>
    public int SourceWidth => _source.Width;

    /// <summary>Height of the photo.</summary>
    public int SourceHeight => _source.Height;

    /// <summary>Output frame width. Default 256.</summary>
    public int OutputWidth { get; set; } = 256;

    /// <summary>Output frame height. Default 256.</summary>
    public int OutputHeight { get; set; } = 256;

    /// <summary>Number of frames. Default 24.</summary>
    public int FrameCount { get; set; } = 24;

    /// <summary>Frame rate used for timestamps. Default 24.</summary>
    public double Fps { get; set; } = 24;

    /// <summary>Zoom of the first frame (≥ 1; 1 = largest window). Default 1.2.</summary>
    public double StartZoom { get; set; } = 1.2;

    /// <summary>Zoom of the last frame. Default 1.5.</summary>
    public double EndZoom { get; set; } = 1.5;

    /// <summary>Window centre of the first frame as fractions of the photo (x, y). Default (0.35, 0.45).</summary>
    public (double X, double Y) StartCenter { get; set; } = (0.35, 0.45);

    /// <summary>Window centre of the last frame as fractions of the photo (x, y). Default (0.65, 0.55).</summary>
    public (double X, double Y) EndCenter { get; set; } = (0.65, 0.55);

    /// <summary>Loads a photo from disk.</summary>
    /// <exception cref="InvalidDataException">The file cannot be read as an image.</exception>
    public static PanVideoGenerator FromFile(string path)
    {
        using var bgr = Cv2.ImRead(path, ImreadModes.Color);
        if (bgr.Empty())
        {
            throw new InvalidDataException($"Cannot read image {path}.");
        }

        var rgb = new Mat();
        Cv2.CvtColor(bgr, rgb, ColorConversionCodes.BGR2RGB);
        return new PanVideoGenerator(rgb);
    }

    /// <summary>The crop window (x, y, width, height) in photo pixels for frame <paramref name="index"/>.</summary>
    public (int X, int Y, int Width, int Height) Window(int index)
    {
        CheckSettings();
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, FrameCount);
        var t = FrameCount == 1 ? 0 : (double)index / (FrameCount - 1);
        var zoom = Math.Max(1.0, StartZoom + ((EndZoom - StartZoom) * t));

        // Largest window with the output aspect ratio, then shrunk by the zoom.
        var aspect = (double)OutputWidth / OutputHeight;
        var (baseW, baseH) = (double)SourceWidth / SourceHeight > aspect
            ? (SourceHeight * aspect, (double)SourceHeight)
            : (SourceWidth, SourceWidth / aspect);
        var w = Math.Clamp((int)Math.Round(baseW / zoom), 1, SourceWidth);
        var h = Math.Clamp((int)Math.Round(baseH / zoom), 1, SourceHeight);
        var cx = (StartCenter.X + ((EndCenter.X - StartCenter.X) * t)) * SourceWidth;
        var cy = (StartCenter.Y + ((EndCenter.Y - StartCenter.Y) * t)) * SourceHeight;
        var x = Math.Clamp((int)Math.Round(cx - (w / 2.0)), 0, SourceWidth - w);
        var y = Math.Clamp((int)Math.Round(cy - (h / 2.0)), 0, SourceHeight - h);
        return (x, y, w, h);
    }

    /// <summary>Renders frame <paramref name="index"/> as packed RGB24 (OutputWidth·OutputHeight·3 bytes).</summary>
    public void RenderFrame(int index, Span<byte> destination)
    {
        var length = OutputWidth * OutputHeight * 3;
        if (destination.Length < length)
        {
            throw new ArgumentException($"A {OutputWidth}x{OutputHeight} frame needs {length} bytes.", nameof(destination));
        }

        var (x, y, w, h) = Window(index);
        using var crop = new Mat(_source, new Rect(x, y, w, h));
        var shrinking = w >= OutputWidth && h >= OutputHeight;
        Cv2.Resize(crop, _resized, new Size(OutputWidth, OutputHeight), 0, 0, shrinking ? InterpolationFlags.Area : InterpolationFlags.Linear);
        new ReadOnlySpan<byte>((void*)_resized.Data, length).CopyTo(destination);
    }

    /// <summary>Enumerates all frames; each frame's data is a buffer reused for the next one.</summary>
    public IEnumerable<RgbFrame> Frames()
    {
        CheckSettings();
        var buffer = new byte[OutputWidth * OutputHeight * 3];
        for (var i = 0; i < FrameCount; i++)
        {
            RenderFrame(i, buffer);
            yield return new RgbFrame(buffer, OutputWidth, OutputHeight, OutputWidth * 3, i, TimeSpan.FromSeconds(i / Fps));
        }
    }

    /// <summary>Writes all frames to <paramref name="sink"/>; returns the number written.</summary>
    public int WriteTo(VideoFrameSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var count = 0;
        foreach (var frame in Frames())
        {
            sink.Write(frame);
            count++;
        }

        return count;
    }

    private void CheckSettings()
    {
        if (OutputWidth <= 0 || OutputHeight <= 0 || FrameCount <= 0 || !(Fps > 0) || !(StartZoom > 0) || !(EndZoom > 0))
        {
            throw new InvalidOperationException(
                $"Pan settings must be positive: output {OutputWidth}x{OutputHeight}, {FrameCount} frames, {Fps} fps, zoom {StartZoom}..{EndZoom}.");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _source.Dispose();
        _resized.Dispose();
    }
}
