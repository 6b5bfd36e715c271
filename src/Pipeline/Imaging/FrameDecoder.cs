using OpenCvSharp;

namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>
/// Turns an incoming frame (JPEG, PNG or raw RGB24 / BGR24) into the model-size tensor [3, H, W]
/// (R, G, B planes) in the configured range, resizing (area when shrinking, bilinear when growing)
/// and center-cropping, padding or stretching as configured.
/// </summary>
/// <remarks>
/// Every frame is validated first and rejected with a <see cref="FrameFormatException"/> whose
/// message says what is wrong. The decoder keeps its OpenCV matrices between frames, so in steady
/// state (same source size) a raw frame decodes with no managed allocation and a JPEG / PNG frame
/// with none beyond what libjpeg / libpng do natively. One decoder per stream: it is not thread-safe.
/// </remarks>
public sealed unsafe class FrameDecoder : IDisposable
{
    private readonly NativeMat _source = new();
    private readonly NativeMat _resized = new();

    // 8-bit level k → k·_scale + _offset in the configured range, applied while deinterleaving.
    private readonly float _scale;
    private readonly float _offset;
    private bool _disposed;

    /// <summary>Creates a decoder for the given model size and limits (defaults: 512x512, center crop, max 2048x2048).</summary>
    public FrameDecoder(FrameDecoderOptions? options = null)
    {
        Options = options ?? new FrameDecoderOptions();
        (_scale, _offset) = ImageTensor.FromLevels(Options.Range);
    }

    /// <summary>Model size, fit mode and limits.</summary>
    public FrameDecoderOptions Options { get; }

    /// <summary>JPEG or PNG from the data's signature (magic bytes), or null when it is neither.</summary>
    public static FrameFormat? DetectFormat(ReadOnlySpan<byte> data) => FrameSniffer.Detect(data);

    /// <summary>
    /// Checks a frame without decoding its pixels: non-empty, declared format matches the signature,
    /// header readable, size within limits, file not truncated, raw length = stride·height.
    /// </summary>
    /// <returns>The frame's format and size (raw: with the effective stride).</returns>
    /// <exception cref="FrameFormatException">The frame is invalid; the message says why.</exception>
    public FrameDescriptor Validate(ReadOnlySpan<byte> data, FrameDescriptor frame)
    {
        var format = frame.Format;
        if (!Enum.IsDefined(format))
        {
            throw new FrameFormatException($"Unsupported frame format {(int)format}; expected Jpeg, Png, Rgb24 or Bgr24.");
        }

        if (data.IsEmpty)
        {
            throw new FrameFormatException($"Frame data is empty (declared format {format}).");
        }

        return frame.IsRaw ? ValidateRaw(data, frame) : ValidateEncoded(data, format);
    }

    /// <summary>
    /// Validates and decodes a frame into <paramref name="destination"/> (exactly
    /// <see cref="FrameDecoderOptions.TensorLength"/> floats).
    /// </summary>
    /// <returns>The source frame's format and size.</returns>
    /// <exception cref="FrameFormatException">The frame is invalid; the destination is then left unspecified.</exception>
    public FrameDescriptor Decode(ReadOnlySpan<byte> data, FrameDescriptor frame, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (destination.Length != Options.TensorLength)
        {
            throw new ArgumentException(
                $"Destination holds {destination.Length} floats; a 3x{Options.Height}x{Options.Width} tensor needs {Options.TensorLength}.",
                nameof(destination));
        }

        var info = Validate(data, frame);
        if (info.IsRaw)
        {
            DecodeRaw(data, info, destination);
        }
        else
        {
            DecodeEncoded(data, info, destination);
        }

        return info;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _source.Dispose();
            _resized.Dispose();
        }
    }

    private FrameDescriptor ValidateRaw(ReadOnlySpan<byte> data, FrameDescriptor frame)
    {
        var (format, width, height, stride) = (frame.Format, frame.Width, frame.Height, frame.Stride);
        if (width <= 0 || height <= 0)
        {
            throw new FrameFormatException($"Raw {format} frame needs a positive width and height; got {width}x{height}.");
        }

        CheckSize(format, width, height);
        var minStride = (long)width * 3;
        if (stride == 0)
        {
            stride = (int)minStride;
        }
        else if (stride < minStride)
        {
            throw new FrameFormatException(
                $"Raw {format} frame stride {stride} is smaller than width·3 = {minStride} for a {width}-pixel-wide frame.");
        }

        var expected = (long)stride * height;
        if (data.Length != expected)
        {
            var hint = FrameSniffer.Detect(data) is { } actual ? $" The data looks like a {actual} image; declare format {actual}." : string.Empty;
            throw new FrameFormatException(
                $"Raw {format} frame of {width}x{height} with stride {stride} needs stride·height = {expected} bytes; got {data.Length}.{hint}");
        }

        return frame with { Stride = stride };
    }

    private FrameDescriptor ValidateEncoded(ReadOnlySpan<byte> data, FrameFormat format)
    {
        var actual = FrameSniffer.Detect(data);
        if (actual is null)
        {
            throw new FrameFormatException(
                $"Declared format {format} but the data does not start with the {format} signature ({FrameSniffer.Signature(format)}); first bytes: {FrameSniffer.Head(data)}.");
        }

        if (actual != format)
        {
            throw new FrameFormatException(
                $"Declared format {format} but the data is a {actual} image (signature {FrameSniffer.Signature(actual.Value)}).");
        }

        var error = format == FrameFormat.Jpeg
            ? FrameSniffer.ReadJpegSize(data, out var width, out var height)
            : FrameSniffer.ReadPngSize(data, out width, out height);
        if (error is not null)
        {
            throw new FrameFormatException(error);
        }

        if (width <= 0 || height <= 0)
        {
            throw new FrameFormatException($"{format} header declares an empty image ({width}x{height}).");
        }

        CheckSize(format, width, height);

        // OpenCV may hand back a partially decoded (grey-bottomed) image for a cut-off JPEG, so the
        // end marker is checked explicitly rather than trusting the decoder to fail.
        if (format == FrameFormat.Jpeg && !FrameSniffer.HasJpegEnd(data))
        {
            throw new FrameFormatException($"JPEG is truncated: no end-of-image marker (FF D9) at the end of the {data.Length} bytes.");
        }

        if (format == FrameFormat.Png && !FrameSniffer.HasPngEnd(data))
        {
            throw new FrameFormatException($"PNG is truncated: no IEND chunk at the end of the {data.Length} bytes.");
        }

        if (format == FrameFormat.Png && FrameSniffer.CheckPngChunks(data) is { } chunkError)
        {
            throw new FrameFormatException(chunkError);
        }

        return new FrameDescriptor(format, width, height);
    }

    private void CheckSize(FrameFormat format, int width, int height)
    {
        if (width > Options.MaxSourceWidth || height > Options.MaxSourceHeight)
        {
            throw new FrameFormatException(
                $"{format} frame is {width}x{height}, larger than the maximum {Options.MaxSourceWidth}x{Options.MaxSourceHeight}.");
        }
    }

    private void DecodeRaw(ReadOnlySpan<byte> data, FrameDescriptor info, Span<float> destination)
    {
        var bgr = info.Format == FrameFormat.Bgr24;
        var g = FitGeometry.Compute(info.Width, info.Height, Options.Width, Options.Height, Options.Fit);
        if (g.ResizeWidth == info.Width && g.ResizeHeight == info.Height)
        {
            // Already the right size (the usual case for a client that sends model-size frames):
            // convert straight from the caller's bytes, no OpenCV involved.
            PrepareBars(g, destination);
            var window = data[((g.CropY * info.Stride) + (g.CropX * 3))..];
            ImageTensor.DeinterleaveWindow(window, info.Stride, g.CopyWidth, g.CopyHeight, destination, Options.Width, Options.Height, g.DestX, g.DestY, bgr, _scale, _offset);
            return;
        }

        fixed (byte* pixels = data)
        {
            try
            {
                // A header over the caller's pinned bytes: no copy of the source frame.
                _source.WrapPixels(info.Height, info.Width, MatType.CV_8UC3, pixels, info.Stride);
                WriteResized(g, info.Width, info.Height, bgr, destination);
            }
            finally
            {
                _source.Reset();
            }
        }
    }

    private void DecodeEncoded(ReadOnlySpan<byte> data, FrameDescriptor info, Span<float> destination)
    {
        var mode = ImreadModes.Color;
        if (info.Format == FrameFormat.Jpeg && Options.FastJpegDownscale)
        {
            mode = ReducedMode(info.Width, info.Height);
        }

        bool decoded;
        try
        {
            decoded = NativeCv.Decode(data, mode, _source);
        }
        catch (OpenCVException ex)
        {
            throw new FrameFormatException($"{info.Format} data is corrupt: the decoder failed on {data.Length} bytes ({ex.Message}).", ex);
        }

        if (!decoded)
        {
            throw new FrameFormatException($"{info.Format} data is corrupt: the decoder could not decode {data.Length} bytes.");
        }

        // IMREAD_COLOR always yields 8-bit BGR; the pixel arithmetic below relies on it.
        if (_source.Type != MatType.CV_8UC3.Value)
        {
            throw new FrameFormatException($"{info.Format} decoded to an unexpected pixel type {_source.Type} instead of 8-bit BGR.");
        }

        var width = _source.Cols;
        var height = _source.Rows;
        var g = FitGeometry.Compute(width, height, Options.Width, Options.Height, Options.Fit);

        // imdecode gives BGR.
        if (g.ResizeWidth == width && g.ResizeHeight == height)
        {
            PrepareBars(g, destination);
            CopyWindow(_source, g, true, destination);
        }
        else
        {
            WriteResized(g, width, height, true, destination);
        }
    }

    private ImreadModes ReducedMode(int width, int height)
    {
        // libjpeg can scale by 1/2, 1/4, 1/8 while decoding. Pick the largest factor whose result is
        // still at least the resize target in either orientation (EXIF rotation may swap the axes).
        var a = FitGeometry.Compute(width, height, Options.Width, Options.Height, Options.Fit);
        var b = FitGeometry.Compute(height, width, Options.Width, Options.Height, Options.Fit);
        foreach (var (factor, mode) in s_reducedModes)
        {
            int w = (width + factor - 1) / factor, h = (height + factor - 1) / factor;
            if (w >= a.ResizeWidth && h >= a.ResizeHeight && h >= b.ResizeWidth && w >= b.ResizeHeight)
            {
                return mode;
            }
        }

        return ImreadModes.Color;
    }

    private static readonly (int Factor, ImreadModes Mode)[] s_reducedModes =
    [
        (8, ImreadModes.ReducedColor8),
        (4, ImreadModes.ReducedColor4),
        (2, ImreadModes.ReducedColor2),
    ];

    private void WriteResized(FitGeometry g, int width, int height, bool bgr, Span<float> destination)
    {
        var shrinking = g.ResizeWidth <= width && g.ResizeHeight <= height;
        NativeCv.Resize(_source, _resized, g.ResizeWidth, g.ResizeHeight, shrinking ? InterpolationFlags.Area : InterpolationFlags.Linear);
        PrepareBars(g, destination);
        CopyWindow(_resized, g, bgr, destination);
    }

    private void CopyWindow(NativeMat image, FitGeometry g, bool bgr, Span<float> destination)
    {
        var step = image.Step;
        var start = image.Data + (g.CropY * step) + (g.CropX * 3);
        var length = ((g.CopyHeight - 1) * step) + (g.CopyWidth * 3);
        var window = new ReadOnlySpan<byte>(start, length);
        ImageTensor.DeinterleaveWindow(window, step, g.CopyWidth, g.CopyHeight, destination, Options.Width, Options.Height, g.DestX, g.DestY, bgr, _scale, _offset);
    }

    private void PrepareBars(FitGeometry g, Span<float> destination)
    {
        if (g.HasBars(Options.Width, Options.Height))
        {
            // The pad level mapped exactly as the pixel kernels map a byte of that level.
            destination.Fill((Options.PadLevel * _scale) + _offset);
        }
    }
}
