using System.Globalization;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Options;

namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// Cheap checks of an input frame before it is queued: size limits, raw buffer geometry, image signatures.
/// A failing frame gets a per-frame error; the stream goes on.
/// </summary>
public static class FrameValidator
{
    /// <summary>Largest JPEG/PNG source width: the frame decoder's limit.</summary>
    public static readonly int MaxSourceWidth = new StreamDiffusion.Pipeline.Imaging.FrameDecoderOptions().MaxSourceWidth;

    /// <summary>Largest JPEG/PNG source height: the frame decoder's limit.</summary>
    public static readonly int MaxSourceHeight = new StreamDiffusion.Pipeline.Imaging.FrameDecoderOptions().MaxSourceHeight;

    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Returns null for an acceptable frame, else a message starting with the offending field.</summary>
    public static string? Validate(InputFrame frame, GenerationMode mode, LimitsOptions limits)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(limits);
        var length = frame.Data.Length;
        if (length > limits.MaxFrameBytes)
        {
            return F($"frame.data: {length} bytes, at most {limits.MaxFrameBytes}");
        }

        if (length == 0)
        {
            // txt2img streams are paced by frames whose pixels are not used.
            return mode == GenerationMode.Txt2Img ? null : "frame.data: empty";
        }

        var span = frame.Data.Span;
        switch (frame.Format)
        {
            case FrameFormat.Jpeg:
                if (span.Length < 3 || span[0] != 0xFF || span[1] != 0xD8 || span[2] != 0xFF)
                {
                    return "frame.data: not a JPEG file (no FF D8 FF signature)";
                }

                return OptionalSize(frame);
            case FrameFormat.Png:
                if (!span.StartsWith(PngSignature))
                {
                    return "frame.data: not a PNG file (no PNG signature)";
                }

                return OptionalSize(frame);
            case FrameFormat.Rgb24:
            case FrameFormat.Bgr24:
                return RawGeometry(frame, limits);
            default:
                return F($"frame.format: {(int)frame.Format} is not one of JPEG, PNG, RGB24, BGR24");
        }
    }

    /// <summary>Bytes per row of a raw frame (the explicit stride, or 3 * width when 0).</summary>
    public static int EffectiveStride(InputFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return frame.Stride == 0 ? frame.Width * 3 : frame.Stride;
    }

    // A compressed frame is a source the decoder resizes to the session size; it accepts sources up to its own
    // limit, so a declared size is checked against that, not against the session limits.
    private static string? OptionalSize(InputFrame frame)
    {
        if (frame.Width < 0 || frame.Width > MaxSourceWidth)
        {
            return F($"frame.width: {frame.Width} is outside 0..{MaxSourceWidth} (largest JPEG/PNG source)");
        }

        if (frame.Height < 0 || frame.Height > MaxSourceHeight)
        {
            return F($"frame.height: {frame.Height} is outside 0..{MaxSourceHeight} (largest JPEG/PNG source)");
        }

        return null;
    }

    private static string? RawGeometry(InputFrame frame, LimitsOptions limits)
    {
        if (frame.Width < 1 || frame.Width > limits.MaxWidth)
        {
            return F($"frame.width: {frame.Width} is outside 1..{limits.MaxWidth} (required for raw frames)");
        }

        if (frame.Height < 1 || frame.Height > limits.MaxHeight)
        {
            return F($"frame.height: {frame.Height} is outside 1..{limits.MaxHeight} (required for raw frames)");
        }

        var stride = EffectiveStride(frame);
        if (stride < frame.Width * 3)
        {
            return F($"frame.stride: {stride} is less than 3 * width = {frame.Width * 3}");
        }

        var expected = (long)stride * frame.Height;
        if (frame.Data.Length != expected)
        {
            return F($"frame.data: {frame.Data.Length} bytes, expected stride * height = {stride} * {frame.Height} = {expected}");
        }

        return null;
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
