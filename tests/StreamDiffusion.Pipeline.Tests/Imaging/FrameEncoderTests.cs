using System.Buffers;
using OpenCvSharp;
using StreamDiffusion.Pipeline.Imaging;
using Xunit.Abstractions;

namespace StreamDiffusion.Pipeline.Tests.Imaging;

public class FrameEncoderTests(ITestOutputHelper output)
{
    private static float[] Astronaut()
    {
        var (rgb, w, h) = TestImages.Rgb("astronaut.png");
        return ImageTensor.FromInterleaved(rgb, w, h);
    }

    [Fact]
    public void Jpeg_Quality90_RoundTrip_Above30dB()
    {
        var tensor = Astronaut();
        using var encoder = new FrameEncoder();
        using var decoder = new FrameDecoder();
        var back = new float[tensor.Length];

        var q90 = encoder.Encode(tensor, 512, 512, new FrameEncoding { JpegQuality = 90 });
        Assert.Equal(FrameFormat.Jpeg, FrameDecoder.DetectFormat(q90.Data.Span));
        var q90Length = q90.Data.Length;
        decoder.Decode(q90.Data.Span, FrameDescriptor.Jpeg, back);
        var psnr90 = ImageTensor.Psnr(tensor, back);

        var q20 = encoder.Encode(tensor, 512, 512, new FrameEncoding { JpegQuality = 20 });
        var q20Length = q20.Data.Length;
        decoder.Decode(q20.Data.Span, FrameDescriptor.Jpeg, back);
        var psnr20 = ImageTensor.Psnr(tensor, back);

        output.WriteLine($"q90: {q90Length} bytes, {psnr90:F2} dB; q20: {q20Length} bytes, {psnr20:F2} dB");
        Assert.True(psnr90 > 30, $"q90 PSNR {psnr90:F2} dB");
        Assert.True(psnr20 < psnr90);
        Assert.True(q20Length < q90Length);
        Assert.Equal(new FrameDescriptor(FrameFormat.Jpeg, 512, 512), q90.Descriptor);
    }

    [Fact]
    public void Png_IsLossless()
    {
        var tensor = Astronaut();
        using var encoder = new FrameEncoder();
        var png = encoder.Encode(tensor, 512, 512, new FrameEncoding { Format = FrameFormat.Png }).Data.ToArray();

        using var decoded = Cv2.ImDecode(png, ImreadModes.Color);
        using var rgb = new Mat();
        Cv2.CvtColor(decoded, rgb, ColorConversionCodes.BGR2RGB);
        Assert.Equal(TestImages.Rgb("astronaut.png").Rgb, TestImages.Pixels(rgb));
    }

    [Fact]
    public void OutputSize_ResizesLikeOpenCv()
    {
        var tensor = Astronaut();
        using var encoder = new FrameEncoder();

        var half = encoder.Encode(tensor, 512, 512, new FrameEncoding { Format = FrameFormat.Bgr24, Width = 256, Height = 192 });

        using var source = Cv2.ImRead(TestImages.PathOf("astronaut.png"));
        using var resized = new Mat();
        Cv2.Resize(source, resized, new Size(256, 192), 0, 0, InterpolationFlags.Area);
        Assert.Equal(new FrameDescriptor(FrameFormat.Bgr24, 256, 192, 768), half.Descriptor);
        Assert.Equal(TestImages.Pixels(resized), half.Data.ToArray());

        // One side given: the other follows the aspect ratio.
        var wide = encoder.Encode(tensor, 512, 512, new FrameEncoding { Format = FrameFormat.Png, Width = 300 });
        Assert.Equal(new FrameDescriptor(FrameFormat.Png, 300, 300), wide.Descriptor);
        using var png = Cv2.ImDecode(wide.Data.ToArray(), ImreadModes.Color);
        Assert.Equal(new Size(300, 300), png.Size());
    }

    [Fact]
    public void BufferWriter_GetsTheSameBytes()
    {
        var tensor = Astronaut();
        using var encoder = new FrameEncoder();
        var writer = new ArrayBufferWriter<byte>();
        writer.Write<byte>([1, 2, 3]);

        var (descriptor, length) = encoder.Encode(tensor, 512, 512, FrameEncoding.DefaultJpeg, writer);
        var direct = encoder.Encode(tensor, 512, 512, FrameEncoding.DefaultJpeg);

        Assert.Equal(direct.Descriptor, descriptor);
        Assert.Equal(3 + length, writer.WrittenCount);
        Assert.Equal(direct.Data.ToArray(), writer.WrittenSpan[3..].ToArray());
    }

    [Fact]
    public void ZeroToOneRange_Encoder()
    {
        var (rgb, w, h) = TestImages.Rgb("astronaut.png");
        var unit = ImageTensor.FromInterleaved(rgb, w, h, range: TensorRange.ZeroToOne);
        using var encoder = new FrameEncoder(TensorRange.ZeroToOne);

        var raw = encoder.Encode(unit, w, h, new FrameEncoding { Format = FrameFormat.Rgb24 });

        Assert.Equal(rgb, raw.Data.ToArray());
    }

    [Fact]
    public void WrongTensorLength_IsAnArgumentError()
    {
        using var encoder = new FrameEncoder();
        Assert.Throws<ArgumentException>(() => encoder.Encode(new float[10], 512, 512, FrameEncoding.DefaultJpeg));
    }
}
