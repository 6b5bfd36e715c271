namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>
/// Format and geometry of a frame. For raw formats width, height and stride are what the client
/// declared (stride 0 means tightly packed, width·3); for JPEG / PNG they are 0 on input and are
/// filled in from the image header by <see cref="FrameDecoder.Validate"/> and <see cref="FrameDecoder.Decode"/>.
/// </summary>
/// <param name="Format">Byte layout of the frame.</param>
/// <param name="Width">Width in pixels (raw formats; 0 for JPEG / PNG input).</param>
/// <param name="Height">Height in pixels (raw formats; 0 for JPEG / PNG input).</param>
/// <param name="Stride">Bytes from one row to the next (raw formats; 0 = width·3).</param>
public readonly record struct FrameDescriptor(FrameFormat Format, int Width = 0, int Height = 0, int Stride = 0)
{
    /// <summary>A JPEG frame; its size comes from the image header.</summary>
    public static FrameDescriptor Jpeg => new(FrameFormat.Jpeg);

    /// <summary>A PNG frame; its size comes from the image header.</summary>
    public static FrameDescriptor Png => new(FrameFormat.Png);

    /// <summary>Whether <see cref="Format"/> is an uncompressed layout (RGB24 / BGR24).</summary>
    public bool IsRaw => Format is FrameFormat.Rgb24 or FrameFormat.Bgr24;

    /// <summary>The row pitch in bytes, resolving the packed default (stride 0 → width·3).</summary>
    public int EffectiveStride => Stride == 0 ? Width * 3 : Stride;

    /// <summary>A raw RGB24 frame.</summary>
    public static FrameDescriptor Rgb24(int width, int height, int stride = 0) => new(FrameFormat.Rgb24, width, height, stride);

    /// <summary>A raw BGR24 frame.</summary>
    public static FrameDescriptor Bgr24(int width, int height, int stride = 0) => new(FrameFormat.Bgr24, width, height, stride);
}
