using StreamDiffusion.Pipeline.Imaging;
using StreamDiffusion.StreamClient.Cli;

namespace StreamDiffusion.StreamClient.Sessions;

/// <summary>
/// Prepares a source frame for the wire: center-crops and resizes it to the session size (so the host gets
/// model-size frames and the bandwidth matches the session, not the camera) and encodes it as JPEG or packed
/// RGB24. Built from the pipeline's <see cref="FrameDecoder"/> (crop / resize into a [0, 1] tensor) and
/// <see cref="FrameEncoder"/> (tensor to bytes); the 8-bit values survive the tensor exactly. All buffers are
/// reused; one encoder per stream (not thread-safe).
/// </summary>
public sealed class InputFrameEncoder : IDisposable
{
    private readonly FrameDecoder _decoder;
    private readonly FrameEncoder _encoder = new(TensorRange.ZeroToOne);
    private readonly FrameEncoding _encoding;
    private readonly float[] _tensor;

    /// <summary>Creates an encoder for <paramref name="size"/> x <paramref name="size"/> frames.</summary>
    public InputFrameEncoder(int size, WireFormat format, int quality)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        Size = size;
        Format = format;
        _decoder = new FrameDecoder(new FrameDecoderOptions
        {
            Width = size,
            Height = size,
            Fit = FitMode.CenterCrop,
            Range = TensorRange.ZeroToOne,

            // Sources are trusted local files or cameras; 8K video is still a valid input.
            MaxSourceWidth = 16384,
            MaxSourceHeight = 16384,
        });
        _encoding = new FrameEncoding
        {
            Format = format == WireFormat.Raw ? FrameFormat.Rgb24 : FrameFormat.Jpeg,
            JpegQuality = quality,
        };
        _tensor = new float[3 * size * size];
    }

    /// <summary>Output width and height.</summary>
    public int Size { get; }

    /// <summary>Wire format.</summary>
    public WireFormat Format { get; }

    /// <summary>Encodes one frame; the result is valid until the next call.</summary>
    public EncodedFrame Encode(RgbFrame frame)
    {
        _decoder.Decode(frame.Data.Span, frame.Descriptor, _tensor);
        return _encoder.Encode(_tensor, Size, Size, _encoding);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _decoder.Dispose();
        _encoder.Dispose();
    }
}
