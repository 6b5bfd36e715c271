using OpenCvSharp;

namespace StreamDiffusion.StreamHost.Tests.Web;

/// <summary>Paths and JPEG frames from the shared test photos.</summary>
internal static class WebTestData
{
    /// <summary>The repository root (the folder holding StreamDiffusion.Net.sln).</summary>
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "StreamDiffusion.Net.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new DirectoryNotFoundException("No folder containing StreamDiffusion.Net.sln above the test binaries.");
        }
    }

    public static string Images => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data", "images"));

    /// <summary>Each shared photo as a JPEG of <paramref name="size"/> x <paramref name="size"/> (centre crop).</summary>
    public static IReadOnlyList<byte[]> Jpegs(int size)
    {
        var result = new List<byte[]>();
        foreach (var file in Directory.GetFiles(Images).Where(f => f.EndsWith(".png", StringComparison.Ordinal) || f.EndsWith(".jpg", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var image = Cv2.ImRead(file, ImreadModes.Color);
            var side = Math.Min(image.Width, image.Height);
            using var square = new Mat(image, new Rect((image.Width - side) / 2, (image.Height - side) / 2, side, side));
            using var resized = new Mat();
            Cv2.Resize(square, resized, new Size(size, size), interpolation: InterpolationFlags.Area);
            Cv2.ImEncode(".jpg", resized, out var jpeg, [(int)ImwriteFlags.JpegQuality, 90]);
            result.Add(jpeg);
        }

        return result;
    }

    /// <summary>The file as it is (rocket.jpg is a real camera JPEG).</summary>
    public static byte[] RocketJpeg => File.ReadAllBytes(Path.Combine(Images, "rocket.jpg"));

    /// <summary>Mean absolute difference of two equally sized grey images.</summary>
    public static double MeanAbsoluteDifference(byte[] a, byte[] b)
    {
        Assert.Equal(a.Length, b.Length);
        var sum = 0L;
        for (var i = 0; i < a.Length; i++)
        {
            sum += Math.Abs(a[i] - b[i]);
        }

        return (double)sum / a.Length;
    }

    /// <summary>Decodes a JPEG/PNG to grey pixels and its size.</summary>
    public static (byte[] Luma, int Width, int Height) Luma(byte[] encoded)
    {
        using var grey = Cv2.ImDecode(encoded, ImreadModes.Grayscale);
        Assert.False(grey.Empty(), "the image must decode");
        grey.GetArray(out byte[] pixels);
        return (pixels, grey.Width, grey.Height);
    }
}
