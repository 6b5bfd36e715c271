namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>
/// One frame from a <see cref="VideoFrameSource"/> or <see cref="PanVideoGenerator"/>: interleaved
/// RGB24 rows. <see cref="Data"/> is a reused buffer, valid until the enumeration moves on.
/// </summary>
/// <param name="Data">Rows of Width·3 bytes, Stride bytes apart.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Stride">Row pitch in bytes.</param>
/// <param name="Index">0-based frame number.</param>
/// <param name="Timestamp">Presentation time: Index / fps.</param>
public readonly record struct RgbFrame(ReadOnlyMemory<byte> Data, int Width, int Height, int Stride, int Index, TimeSpan Timestamp)
{
    /// <summary>The descriptor to hand to <see cref="FrameDecoder.Decode"/> with <see cref="Data"/>.</summary>
    public FrameDescriptor Descriptor => FrameDescriptor.Rgb24(Width, Height, Stride);
}
