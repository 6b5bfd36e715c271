using System.Numerics.Tensors;

namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>
/// Conversions between interleaved 8-bit RGB / BGR pixels and planar CHW float tensors
/// ([3, H, W], channel order R, G, B), plus PSNR for comparing images in tests and benchmarks.
/// 8-bit k maps to k·2/255 − 1 in [-1, 1] (or k/255 in [0, 1]); the way back rounds to nearest and
/// saturates, so byte → float → byte is exact.
/// </summary>
public static class ImageTensor
{
    /// <summary>
    /// Converts interleaved pixels to a planar tensor.
    /// </summary>
    /// <param name="pixels">Rows of width·3 bytes, <paramref name="stride"/> bytes apart.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="stride">Row pitch in bytes (0 = width·3).</param>
    /// <param name="destination">3·width·height floats, written as R, G, B planes.</param>
    /// <param name="bgr">Whether the pixels are in B, G, R order.</param>
    /// <param name="range">Value range to produce.</param>
    public static void FromInterleaved(
        ReadOnlySpan<byte> pixels,
        int width,
        int height,
        int stride,
        Span<float> destination,
        bool bgr = false,
        TensorRange range = TensorRange.MinusOneToOne)
    {
        stride = CheckInterleaved(pixels.Length, width, height, stride, nameof(pixels));
        var length = 3 * width * height;
        if (destination.Length < length)
        {
            throw new ArgumentException($"Destination holds {destination.Length} floats; a 3x{height}x{width} tensor needs {length}.", nameof(destination));
        }

        var (scale, offset) = FromLevels(range);
        DeinterleaveWindow(pixels, stride, width, height, destination[..length], width, height, 0, 0, bgr, scale, offset);
    }

    /// <summary>Converts interleaved pixels to a new planar tensor (convenience for tools and tests).</summary>
    public static float[] FromInterleaved(ReadOnlySpan<byte> pixels, int width, int height, bool bgr = false, TensorRange range = TensorRange.MinusOneToOne)
    {
        var tensor = new float[3 * width * height];
        FromInterleaved(pixels, width, height, 0, tensor, bgr, range);
        return tensor;
    }

    /// <summary>
    /// Converts a planar tensor to interleaved 8-bit pixels, rounding to nearest and saturating
    /// out-of-range values (decoders overshoot [-1, 1] a little).
    /// </summary>
    /// <param name="tensor">3·width·height floats as R, G, B planes.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="destination">Rows of width·3 bytes, <paramref name="stride"/> bytes apart; padding bytes are left alone.</param>
    /// <param name="stride">Row pitch in bytes (0 = width·3).</param>
    /// <param name="bgr">Whether to write B, G, R order.</param>
    /// <param name="range">Value range of <paramref name="tensor"/>.</param>
    public static void ToInterleaved(
        ReadOnlySpan<float> tensor,
        int width,
        int height,
        Span<byte> destination,
        int stride = 0,
        bool bgr = false,
        TensorRange range = TensorRange.MinusOneToOne)
    {
        stride = CheckInterleaved(destination.Length, width, height, stride, nameof(destination));
        var plane = width * height;
        if (tensor.Length < 3 * plane)
        {
            throw new ArgumentException($"Tensor holds {tensor.Length} floats; a 3x{height}x{width} tensor needs {3 * plane}.", nameof(tensor));
        }

        // x·scale + offset puts each value at its 8-bit level + 0.5, so the truncating saturating
        // conversion rounds to nearest and clamps to 0..255.
        var (scale, offset) = range == TensorRange.ZeroToOne ? (255f, 0.5f) : (127.5f, 128f);
        var green = tensor.Slice(plane, plane);
        var first = bgr ? tensor.Slice(2 * plane, plane) : tensor[..plane];
        var third = bgr ? tensor[..plane] : tensor.Slice(2 * plane, plane);
        for (var y = 0; y < height; y++)
        {
            var at = y * width;
            PixelRows.Merge(first.Slice(at, width), green.Slice(at, width), third.Slice(at, width), destination.Slice(y * stride, width * 3), scale, offset);
        }
    }

    /// <summary>Converts a planar tensor to new packed interleaved pixels (convenience for tools and tests).</summary>
    public static byte[] ToInterleaved(ReadOnlySpan<float> tensor, int width, int height, bool bgr = false, TensorRange range = TensorRange.MinusOneToOne)
    {
        var pixels = new byte[3 * width * height];
        ToInterleaved(tensor, width, height, pixels, 0, bgr, range);
        return pixels;
    }

    /// <summary>
    /// Peak signal-to-noise ratio in dB between two tensors of the same length; the peak is the
    /// width of <paramref name="range"/> (2 for [-1, 1]). Identical inputs give +∞.
    /// </summary>
    public static double Psnr(ReadOnlySpan<float> a, ReadOnlySpan<float> b, TensorRange range = TensorRange.MinusOneToOne)
    {
        CheckSameLength(a.Length, b.Length);
        double distance = TensorPrimitives.Distance(a, b);
        var mse = distance * distance / a.Length;
        var peak = range == TensorRange.ZeroToOne ? 1.0 : 2.0;
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(peak * peak / mse);
    }

    /// <summary>Peak signal-to-noise ratio in dB between two 8-bit images of the same length (peak 255).</summary>
    public static double Psnr(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        CheckSameLength(a.Length, b.Length);
        long sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = a[i] - b[i];
            sum += d * d;
        }

        var mse = (double)sum / a.Length;
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mse);
    }

    /// <summary>
    /// Writes a window of interleaved pixels into planes of a [3, planeHeight, planeWidth] tensor at
    /// (x, y), each 0..255 value k as k·scale + offset (see <see cref="FromLevels"/>); the rest of
    /// the planes is left alone.
    /// </summary>
    internal static void DeinterleaveWindow(
        ReadOnlySpan<byte> source,
        int sourceStride,
        int width,
        int height,
        Span<float> destination,
        int planeWidth,
        int planeHeight,
        int x,
        int y,
        bool bgr,
        float scale,
        float offset)
    {
        var plane = planeWidth * planeHeight;
        var first = destination[..plane];
        var second = destination.Slice(plane, plane);
        var third = destination.Slice(2 * plane, plane);

        // BGR input fills the planes back to front, so the tensor is always R, G, B.
        var p0 = bgr ? third : first;
        var p2 = bgr ? first : third;
        for (var row = 0; row < height; row++)
        {
            var at = ((y + row) * planeWidth) + x;
            PixelRows.Split(source.Slice(row * sourceStride, width * 3), p0.Slice(at, width), second.Slice(at, width), p2.Slice(at, width), scale, offset);
        }
    }

    /// <summary>
    /// The k·scale + offset that maps an 8-bit level k to <paramref name="range"/>: a multiply then
    /// an add, rounded as two float operations (the pixel kernels and the pad fill use the same).
    /// </summary>
    internal static (float Scale, float Offset) FromLevels(TensorRange range) =>
        range == TensorRange.ZeroToOne ? (1f / 255f, 0f) : (2f / 255f, -1f);

    private static int CheckInterleaved(int length, int width, int height, int stride, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (stride == 0)
        {
            stride = width * 3;
        }

        if (stride < width * 3)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"Stride must be at least width·3 = {width * 3}.");
        }

        var needed = ((long)stride * (height - 1)) + (width * 3);
        if (length < needed)
        {
            throw new ArgumentException($"{width}x{height} pixels with stride {stride} need {needed} bytes; the span holds {length}.", name);
        }

        return stride;
    }

    private static void CheckSameLength(int a, int b)
    {
        if (a != b || a == 0)
        {
            throw new ArgumentException($"PSNR needs two non-empty inputs of the same length; got {a} and {b}.");
        }
    }
}
