using System.Buffers;
using OpenCvSharp;

namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>
/// Turns a generated tensor [3, H, W] (R, G, B planes) into wire bytes: JPEG at a quality, PNG, or
/// raw RGB24 / BGR24 rows, optionally resized. Buffers (the 8-bit image, the resized image, the
/// encoder's output vector and the returned byte array) are kept and reused, so in steady state an
/// encode makes no managed allocation. One encoder per stream: it is not thread-safe.
/// </summary>
public sealed unsafe class FrameEncoder : IDisposable
{
    private readonly NativeMat _image = new();
    private readonly NativeMat _resized = new();
    private readonly NativeByteVector _encoded = new();
    private readonly int[] _jpegParameters = [(int)ImwriteFlags.JpegQuality, 85];
    // 19 = IMWRITE_PNG_FILTER (OpenCV ≥ 4.10, not in the ImwriteFlags enum), 16 = PNG_FILTER_SUB: libpng's
    // adaptive filter search dominates PNG encode time; SUB alone is ~1.5x faster for a few % more bytes.
    private readonly int[] _pngParameters = [(int)ImwriteFlags.PngCompression, 1, 19, 16];
    private byte[] _output = [];
    private bool _disposed;

    /// <summary>Creates an encoder for tensors in <paramref name="range"/> (default [-1, 1]).</summary>
    public FrameEncoder(TensorRange range = TensorRange.MinusOneToOne)
    {
        Range = range;
    }

    /// <summary>Value range of the tensors this encoder takes.</summary>
    public TensorRange Range { get; }

    /// <summary>
    /// Encodes a tensor. The returned data points into this encoder's buffer and is valid only until
    /// the next call; copy it if it must outlive that.
    /// </summary>
    /// <param name="tensor">3·width·height floats (R, G, B planes).</param>
    /// <param name="width">Tensor width.</param>
    /// <param name="height">Tensor height.</param>
    /// <param name="encoding">Format, quality and optional output size.</param>
    public EncodedFrame Encode(ReadOnlySpan<float> tensor, int width, int height, FrameEncoding encoding)
    {
        var bytes = EncodeCore(tensor, width, height, encoding, out var descriptor, out var inOutput);
        if (!inOutput)
        {
            // Compressed sizes jitter from frame to frame (a pan over a photo: ±20 %); growing to twice
            // the need when the buffer is too small keeps a live stream from reallocating again.
            EnsureOutput(bytes.Length, 2 * bytes.Length);
            bytes.CopyTo(_output);
        }

        return new EncodedFrame(new ReadOnlyMemory<byte>(_output, 0, bytes.Length), descriptor);
    }

    /// <summary>Encodes a tensor and appends the bytes to <paramref name="writer"/>.</summary>
    /// <returns>The encoded frame's format and size; the byte count is what was written.</returns>
    public (FrameDescriptor Descriptor, int Length) Encode(ReadOnlySpan<float> tensor, int width, int height, FrameEncoding encoding, IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var bytes = EncodeCore(tensor, width, height, encoding, out var descriptor, out _);
        bytes.CopyTo(writer.GetSpan(bytes.Length));
        writer.Advance(bytes.Length);
        return (descriptor, bytes.Length);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _image.Dispose();
            _resized.Dispose();
            _encoded.Dispose();
        }
    }

    private ReadOnlySpan<byte> EncodeCore(
        ReadOnlySpan<float> tensor,
        int width,
        int height,
        FrameEncoding encoding,
        out FrameDescriptor descriptor,
        out bool inOutput)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(encoding);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (tensor.Length != 3 * width * height)
        {
            throw new ArgumentException($"Tensor holds {tensor.Length} floats; a 3x{height}x{width} tensor needs {3 * width * height}.", nameof(tensor));
        }

        var format = encoding.Format;
        if (!Enum.IsDefined(format))
        {
            throw new ArgumentOutOfRangeException(nameof(encoding), format, "Unsupported frame format.");
        }

        var (outWidth, outHeight) = OutputSize(width, height, encoding);
        var raw = format is FrameFormat.Rgb24 or FrameFormat.Bgr24;

        // OpenCV's encoders take BGR; only RGB24 output keeps the tensor's order.
        var bgr = format != FrameFormat.Rgb24;
        var resize = outWidth != width || outHeight != height;
        descriptor = new FrameDescriptor(format, outWidth, outHeight, raw ? outWidth * 3 : 0);
        inOutput = false;

        if (raw && !resize)
        {
            var length = width * height * 3;
            EnsureOutput(length, length);
            ImageTensor.ToInterleaved(tensor, width, height, _output.AsSpan(0, length), 0, bgr, Range);
            inOutput = true;
            return _output.AsSpan(0, length);
        }

        _image.Create(height, width, MatType.CV_8UC3);
        ImageTensor.ToInterleaved(tensor, width, height, new Span<byte>(_image.Data, _image.Step * height), _image.Step, bgr, Range);
        var image = _image;
        if (resize)
        {
            var shrinking = outWidth <= width && outHeight <= height;
            NativeCv.Resize(_image, _resized, outWidth, outHeight, shrinking ? InterpolationFlags.Area : InterpolationFlags.Linear);
            image = _resized;
        }

        if (raw)
        {
            var rowBytes = outWidth * 3;
            EnsureOutput(rowBytes * outHeight, rowBytes * outHeight);
            var step = image.Step;
            var data = image.Data;
            for (var y = 0; y < outHeight; y++)
            {
                new ReadOnlySpan<byte>(data + ((long)y * step), rowBytes).CopyTo(_output.AsSpan(y * rowBytes, rowBytes));
            }

            inOutput = true;
            return _output.AsSpan(0, rowBytes * outHeight);
        }

        bool ok;
        if (format == FrameFormat.Jpeg)
        {
            _jpegParameters[1] = encoding.JpegQuality;
            ok = NativeCv.Encode(".jpg", image, _jpegParameters, _encoded);
        }
        else
        {
            _pngParameters[1] = encoding.PngCompression;
            ok = NativeCv.Encode(".png", image, _pngParameters, _encoded);
        }

        if (!ok)
        {
            throw new InvalidOperationException($"OpenCV could not encode a {outWidth}x{outHeight} {format} frame.");
        }

        return _encoded.Span;
    }

    private static (int Width, int Height) OutputSize(int width, int height, FrameEncoding encoding)
    {
        // One dimension given: keep the tensor's aspect ratio.
        return (encoding.Width, encoding.Height) switch
        {
            (0, 0) => (width, height),
            (var w, 0) => (w, Math.Max(1, (int)Math.Round((double)height * w / width))),
            (0, var h) => (Math.Max(1, (int)Math.Round((double)width * h / height)), h),
            (var w, var h) => (w, h),
        };
    }

    private void EnsureOutput(int length, int grownLength)
    {
        if (_output.Length < length)
        {
            _output = new byte[grownLength];
        }
    }
}
