using StreamDiffusion.Pipeline.Imaging;
using StreamDiffusion.Protos.V1;
using WireFrameFormat = StreamDiffusion.Protos.V1.FrameFormat;

namespace StreamDiffusion.StreamClient.Sessions;

/// <summary>
/// Turns the image of an <see cref="OutputFrame"/> into packed RGB24 for the sinks. Packed RGB24 passes
/// through untouched; BGR24, JPEG and PNG go through the pipeline's <see cref="FrameDecoder"/> at the session
/// size (stretching a frame of another size to it). Buffers are reused; not thread-safe.
/// </summary>
public sealed class OutputFrameDecoder : IDisposable
{
    private readonly FrameDecoder _decoder;
    private readonly float[] _tensor;
    private readonly byte[] _rgb;

    /// <summary>Creates a decoder producing <paramref name="width"/> x <paramref name="height"/> frames from encoded images.</summary>
    public OutputFrameDecoder(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        (Width, Height) = (width, height);
        _decoder = new FrameDecoder(new FrameDecoderOptions
        {
            Width = width,
            Height = height,
            Fit = FitMode.Stretch,
            Range = TensorRange.ZeroToOne,
            MaxSourceWidth = 16384,
            MaxSourceHeight = 16384,
        });
        _tensor = new float[3 * width * height];
        _rgb = new byte[3 * width * height];
    }

    /// <summary>Width of decoded JPEG / PNG / BGR frames.</summary>
    public int Width { get; }

    /// <summary>Height of decoded JPEG / PNG / BGR frames.</summary>
    public int Height { get; }

    /// <summary>
    /// Decodes the frame's image. The span is the frame's own data (packed RGB24) or this decoder's buffer,
    /// valid until the next call.
    /// </summary>
    /// <exception cref="FrameFormatException">The image is corrupt or its format unknown.</exception>
    public ReadOnlySpan<byte> ToRgb(OutputFrame frame, out int width, out int height)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var data = frame.Data.Span;
        if (frame.Format == WireFrameFormat.Rgb24 && data.Length == frame.Width * frame.Height * 3 && frame.Width > 0)
        {
            (width, height) = (frame.Width, frame.Height);
            return data;
        }

        var descriptor = frame.Format switch
        {
            WireFrameFormat.Jpeg => FrameDescriptor.Jpeg,
            WireFrameFormat.Png => FrameDescriptor.Png,
            WireFrameFormat.Rgb24 => FrameDescriptor.Rgb24(frame.Width, frame.Height),
            WireFrameFormat.Bgr24 => FrameDescriptor.Bgr24(frame.Width, frame.Height),
            _ => throw new FrameFormatException($"The server sent frame {frame.Sequence} in format {frame.Format}, which the client cannot decode."),
        };
        _decoder.Decode(data, descriptor, _tensor);
        ImageTensor.ToInterleaved(_tensor, Width, Height, _rgb, 0, bgr: false, TensorRange.ZeroToOne);
        (width, height) = (Width, Height);
        return _rgb;
    }

    /// <inheritdoc />
    public void Dispose() => _decoder.Dispose();
}
