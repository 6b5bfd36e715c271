using OpenCvSharp;
using OpenCvSharp.Internal;

namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>
/// The few OpenCV calls the frame path needs, made on <see cref="NativeMat"/> proxies so that no
/// managed wrapper objects are created per frame (see <see cref="NativeMat"/> for why).
/// </summary>
internal static unsafe class NativeCv
{
    /// <summary>Throws OpenCVException when the native call reported a cv::Exception.</summary>
    public static void Check(ExceptionStatus status) => NativeMethods.HandleException(status);

    /// <summary>cv::resize to an explicit size.</summary>
    public static void Resize(NativeMat src, NativeMat dst, int width, int height, InterpolationFlags interpolation) =>
        Check(NativeMethods.imgproc_resize(src.Input, dst.Output, new Size(width, height), 0, 0, (int)interpolation));

    /// <summary>cv::dft (forward or inverse, with the given DftFlags).</summary>
    public static void Dft(NativeMat src, NativeMat dst, DftFlags flags) =>
        Check(NativeMethods.core_dft(src.Input, dst.Output, (int)flags, 0));

    /// <summary>
    /// cv::imdecode into <paramref name="dst"/> (replacing its matrix). Returns false when OpenCV could
    /// not decode the data (it returns an empty matrix rather than throwing for most corrupt input).
    /// </summary>
    public static bool Decode(ReadOnlySpan<byte> data, ImreadModes mode, NativeMat dst)
    {
        IntPtr mat;
        fixed (byte* p = data)
        {
            Check(NativeMethods.imgcodecs_imdecode_vector(p, data.Length, (int)mode, out mat));
        }

        if (mat == IntPtr.Zero)
        {
            dst.Reset();
            return false;
        }

        dst.Attach(mat);
        return !dst.IsEmpty;
    }

    /// <summary>cv::imencode into a reusable native byte vector; returns false when the encoder refused.</summary>
    public static bool Encode(string extension, NativeMat image, int[] parameters, NativeByteVector buffer)
    {
        Check(NativeMethods.imgcodecs_imencode_vector(extension, image.Input, buffer.Ptr, parameters, parameters.Length, out var ok));
        return ok != 0;
    }
}
