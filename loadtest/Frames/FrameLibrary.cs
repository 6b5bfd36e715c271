using Google.Protobuf;
using OpenCvSharp;
using StreamDiffusion.Pipeline.Imaging;

namespace StreamDiffusion.LoadTest.Frames;

/// <summary>
/// The input frames every stream sends: for each photo, a slow camera pan over it (<see cref="PanVideoGenerator"/>),
/// JPEG-encoded once up front so the generator spends no CPU per frame and allocates nothing while sending.
/// Stream <c>i</c> plays photo <c>i mod photos</c>, forwards then backwards, so the motion never jumps.
/// </summary>
public sealed class FrameLibrary
{
    private readonly ByteString[][] _clips;

    private FrameLibrary(ByteString[][] clips, int size)
    {
        _clips = clips;
        Size = size;
    }

    /// <summary>Side of the square frames in pixels.</summary>
    public int Size { get; }

    /// <summary>Photos loaded.</summary>
    public int PhotoCount => _clips.Length;

    /// <summary>Frames per pan (one direction).</summary>
    public int ClipLength => _clips[0].Length;

    /// <summary>Loads every .png/.jpg in <paramref name="folder"/> and renders <paramref name="clipLength"/> JPEG frames of each.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">The folder holds no readable image.</exception>
    public static FrameLibrary Load(string folder, int size, int clipLength = 48, int quality = 85)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 8);
        ArgumentOutOfRangeException.ThrowIfLessThan(clipLength, 2);
        var files = Directory.GetFiles(folder)
            .Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (files.Length == 0)
        {
            throw new InvalidDataException($"No .png or .jpg images in {folder}.");
        }

        var clips = new ByteString[files.Length][];
        var rgb = new byte[size * size * 3];
        int[] jpegParams = [(int)ImwriteFlags.JpegQuality, quality];
        for (var p = 0; p < files.Length; p++)
        {
            using var pan = PanVideoGenerator.FromFile(files[p]);
            pan.OutputWidth = size;
            pan.OutputHeight = size;
            pan.FrameCount = clipLength;
            clips[p] = new ByteString[clipLength];
            for (var i = 0; i < clipLength; i++)
            {
                pan.RenderFrame(i, rgb);
                using var mat = Mat.FromPixelData(size, size, MatType.CV_8UC3, rgb);
                using var bgr = new Mat();
                Cv2.CvtColor(mat, bgr, ColorConversionCodes.RGB2BGR);
                Cv2.ImEncode(".jpg", bgr, out var jpeg, jpegParams);
                clips[p][i] = ByteString.CopyFrom(jpeg);
            }
        }

        return new FrameLibrary(clips, size);
    }

    /// <summary>The JPEG that stream <paramref name="stream"/> sends as frame <paramref name="sequence"/> (shared, immutable).</summary>
    public ByteString Frame(int stream, long sequence)
    {
        var clip = _clips[stream % _clips.Length];
        var period = (2 * clip.Length) - 2;
        var phase = (int)((sequence + (stream * 7L)) % period);
        return clip[phase < clip.Length ? phase : period - phase];
    }
}
