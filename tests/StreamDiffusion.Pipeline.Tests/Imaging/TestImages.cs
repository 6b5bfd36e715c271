using OpenCvSharp;

namespace StreamDiffusion.Pipeline.Tests.Imaging;

/// <summary>Locates the shared CC0 test photos (../shared/data/images next to the repo) and loads them.</summary>
internal static class TestImages
{
    private static readonly Lazy<string> s_folder = new(FindFolder);

    public static string Directory => s_folder.Value;

    public static string PathOf(string name) => Path.Combine(s_folder.Value, name);

    public static byte[] Bytes(string name) => File.ReadAllBytes(PathOf(name));

    /// <summary>Loads an image as packed RGB24 bytes.</summary>
    public static (byte[] Rgb, int Width, int Height) Rgb(string name)
    {
        using var bgr = Cv2.ImRead(PathOf(name), ImreadModes.Color);
        using var rgb = new Mat();
        Cv2.CvtColor(bgr, rgb, ColorConversionCodes.BGR2RGB);
        return (Pixels(rgb), rgb.Width, rgb.Height);
    }

    /// <summary>Packed bytes of a continuous 8UC3 Mat.</summary>
    public static byte[] Pixels(Mat mat)
    {
        using var packed = mat.IsContinuous() ? mat.Clone() : mat.Clone();
        var bytes = new byte[packed.Width * packed.Height * 3];
        System.Runtime.InteropServices.Marshal.Copy(packed.Data, bytes, 0, bytes.Length);
        return bytes;
    }

    private static string FindFolder() => Path.Combine(TestPaths.SharedData, "images");
}
