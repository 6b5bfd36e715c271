namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>
/// How generated frames are sent back: the wire format, JPEG quality, PNG compression level and an
/// optional output size (0 = the tensor's own size).
/// </summary>
public sealed record FrameEncoding
{
    private readonly int _jpegQuality = 85;
    private readonly int _pngCompression = 1;
    private readonly int _width;
    private readonly int _height;

    /// <summary>JPEG at quality 85: the default for live streams.</summary>
    public static FrameEncoding DefaultJpeg { get; } = new();

    /// <summary>Wire format of the encoded frame. Default JPEG.</summary>
    public FrameFormat Format { get; init; } = FrameFormat.Jpeg;

    /// <summary>JPEG quality 1..100 (default 85); ignored for other formats.</summary>
    public int JpegQuality
    {
        get => _jpegQuality;
        init => _jpegQuality = value is >= 1 and <= 100
            ? value
            : throw new ArgumentOutOfRangeException(nameof(JpegQuality), value, "JPEG quality must be between 1 and 100.");
    }

    /// <summary>PNG zlib level 0..9 (default 1: fast, which is what a live stream wants).</summary>
    public int PngCompression
    {
        get => _pngCompression;
        init => _pngCompression = value is >= 0 and <= 9
            ? value
            : throw new ArgumentOutOfRangeException(nameof(PngCompression), value, "PNG compression must be between 0 and 9.");
    }

    /// <summary>Output width in pixels, or 0 for the tensor's width.</summary>
    public int Width
    {
        get => _width;
        init => _width = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(Width), value, "Width must not be negative.");
    }

    /// <summary>Output height in pixels, or 0 for the tensor's height.</summary>
    public int Height
    {
        get => _height;
        init => _height = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(Height), value, "Height must not be negative.");
    }
}
