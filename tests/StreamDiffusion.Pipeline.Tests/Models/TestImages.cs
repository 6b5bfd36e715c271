using OpenCvSharp;

namespace StreamDiffusion.Pipeline.Tests.Models;

/// <summary>Loads the shared photos as planar [3,H,W] tensors in [−1,1], centre-cropped to a square.</summary>
internal static class TestImages
{
    public static float[] LoadSquare(string path, int size)
    {
        using var bgr = Cv2.ImRead(path, ImreadModes.Color);
        Assert.False(bgr.Empty(), $"could not read {path}");
        var side = Math.Min(bgr.Width, bgr.Height);
        using var cropped = new Mat(bgr, new Rect((bgr.Width - side) / 2, (bgr.Height - side) / 2, side, side));
        using var resized = new Mat();
        Cv2.Resize(cropped, resized, new Size(size, size), 0, 0, InterpolationFlags.Area);
        var tensor = new float[3 * size * size];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var pixel = resized.At<Vec3b>(y, x);
                tensor[(0 * size * size) + (y * size) + x] = (pixel.Item2 / 127.5f) - 1f;
                tensor[(1 * size * size) + (y * size) + x] = (pixel.Item1 / 127.5f) - 1f;
                tensor[(2 * size * size) + (y * size) + x] = (pixel.Item0 / 127.5f) - 1f;
            }
        }

        return tensor;
    }

    /// <summary>PSNR in dB between two images in [−1,1] (peak-to-peak 2).</summary>
    public static double Psnr(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = Math.Clamp(a[i], -1f, 1f) - Math.Clamp(b[i], -1f, 1f);
            sum += d * d;
        }

        var mse = sum / a.Length;
        return 10 * Math.Log10(4.0 / mse);
    }

    public static double MeanSquaredError(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += (a[i] - b[i]) * (a[i] - b[i]);
        }

        return sum / a.Length;
    }
}
