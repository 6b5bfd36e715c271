using OpenCvSharp;
using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Web;

/// <summary>
/// Re-encodes a session's PNG or raw RGB24 output as JPEG for MJPEG viewers. Only sessions that asked for
/// PNG/raw output pay this, once per frame however many viewers watch (the result is cached in the
/// <see cref="FrameBroadcaster"/>), and only while someone watches.
/// </summary>
public static class JpegTranscoder
{
    /// <summary>Encodes <paramref name="data"/> (PNG file bytes, or tightly packed RGB24 pixels) as a JPEG file.</summary>
    /// <exception cref="ArgumentException">Unsupported format or inconsistent size.</exception>
    public static byte[] ToJpeg(byte[] data, int length, FrameFormat format, int width, int height, int quality)
    {
        ArgumentNullException.ThrowIfNull(data);
        var parameters = new[] { (int)ImwriteFlags.JpegQuality, Math.Clamp(quality, 1, 100) };
        switch (format)
        {
            case FrameFormat.Png:
                {
                    using var bgr = Cv2.ImDecode(data.AsSpan(0, length), ImreadModes.Color);
                    if (bgr.Empty())
                    {
                        throw new ArgumentException("the PNG frame does not decode", nameof(data));
                    }

                    Cv2.ImEncode(".jpg", bgr, out var jpeg, parameters);
                    return jpeg;
                }

            case FrameFormat.Rgb24:
            case FrameFormat.Bgr24:
                {
                    if (width <= 0 || height <= 0 || (long)width * height * 3 != length)
                    {
                        throw new ArgumentException($"a {width}x{height} raw frame needs {(long)width * height * 3} bytes, got {length}", nameof(length));
                    }

                    using var pixels = Mat.FromPixelData(height, width, MatType.CV_8UC3, data, width * 3);
                    if (format == FrameFormat.Bgr24)
                    {
                        Cv2.ImEncode(".jpg", pixels, out var direct, parameters);
                        return direct;
                    }

                    using var bgr = new Mat();
                    Cv2.CvtColor(pixels, bgr, ColorConversionCodes.RGB2BGR);
                    Cv2.ImEncode(".jpg", bgr, out var jpeg, parameters);
                    return jpeg;
                }

            default:
                throw new ArgumentException($"cannot re-encode {format} as JPEG", nameof(format));
        }
    }
}
