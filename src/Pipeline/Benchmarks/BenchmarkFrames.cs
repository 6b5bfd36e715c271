using StreamDiffusion.Pipeline.Imaging;

namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>
/// The input frames every measurement shares: a camera pan over one photo (sweeping to the end and
/// back), as raw RGB24 and as JPEG, plus planar tensors of the same frames.
/// </summary>
internal sealed class BenchmarkFrames
{
    /// <summary>
    /// Frames per sweep: 4 s at 24 fps for the pan's 30 % move and 1.2x to 1.5x zoom, a slow deliberate
    /// camera move. (At 2 s per sweep consecutive 512x512 frames have a cosine similarity near 0.93 and
    /// the filter at 0.98 never fires; at 4 s it is near 0.97, so some frames are skippable.)
    /// </summary>
    public const int PanFrames = 96;

    private BenchmarkFrames(int size, byte[][] raw, byte[][] jpeg, float[][] tensors)
    {
        Size = size;
        Raw = raw;
        Jpeg = jpeg;
        Tensors = tensors;
    }

    /// <summary>Frame side in pixels.</summary>
    public int Size { get; }

    /// <summary>Number of distinct frames.</summary>
    public int Count => Raw.Length;

    /// <summary>Interleaved RGB24 frames.</summary>
    public byte[][] Raw { get; }

    /// <summary>The same frames as JPEG (quality 85).</summary>
    public byte[][] Jpeg { get; }

    /// <summary>The same frames as planar [3,H,W] tensors in [−1,1].</summary>
    public float[][] Tensors { get; }

    /// <summary>Renders <paramref name="count"/> frames of the pan over <paramref name="photoPath"/> (null: a generated test card).</summary>
    public static BenchmarkFrames Create(string? photoPath, int size, int count)
    {
        using var pan = photoPath is null ? TestCard() : PanVideoGenerator.FromFile(photoPath);
        pan.OutputWidth = size;
        pan.OutputHeight = size;
        pan.FrameCount = PanFrames;
        using var encoder = new FrameEncoder();
        var raw = new byte[count][];
        var jpeg = new byte[count][];
        var tensors = new float[count][];
        for (var i = 0; i < count; i++)
        {
            raw[i] = new byte[size * size * 3];
            pan.RenderFrame(PanIndex(i), raw[i]);
            tensors[i] = ImageTensor.FromInterleaved(raw[i], size, size);
            jpeg[i] = encoder.Encode(tensors[i], size, size, FrameEncoding.DefaultJpeg).Data.ToArray();
        }

        return new BenchmarkFrames(size, raw, jpeg, tensors);
    }

    /// <summary>Frame i of an endless back-and-forth sweep.</summary>
    private static int PanIndex(int i)
    {
        var period = 2 * (PanFrames - 1);
        var phase = i % period;
        return phase < PanFrames ? phase : period - phase;
    }

    /// <summary>
    /// A deterministic 1280x960 picture with structure at several scales (gradients, stripes, rings,
    /// blocks), so a moving crop changes the frame the way a photo would.
    /// </summary>
    private static PanVideoGenerator TestCard()
    {
        const int width = 1280;
        const int height = 960;
        var rgb = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var dx = x - (width * 0.6);
                var dy = y - (height * 0.4);
                var ring = Math.Sin(Math.Sqrt((dx * dx) + (dy * dy)) / 18.0);
                var stripes = Math.Sin((x / 41.0) + (y / 67.0));
                var block = ((x / 96) + (y / 96)) % 2 == 0 ? 40 : -40;
                var i = ((y * width) + x) * 3;
                rgb[i] = Clamp((255.0 * x / width) + (50 * ring));
                rgb[i + 1] = Clamp(128 + (70 * stripes) + block);
                rgb[i + 2] = Clamp((255.0 * y / height) - (50 * ring));
            }
        }

        return new PanVideoGenerator(rgb, width, height);
    }

    private static byte Clamp(double value) => (byte)Math.Clamp(Math.Round(value), 0, 255);
}
