using OpenCvSharp;
using StreamDiffusion.Pipeline.Imaging;
using Xunit.Abstractions;

namespace StreamDiffusion.Pipeline.Tests.Imaging;

public class FrameDecoderTests(ITestOutputHelper output)
{
    public static TheoryData<string> Images => new() { "astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg" };

    [Theory]
    [MemberData(nameof(Images))]
    public void Decode_CenterCrop_MatchesReferenceCropAndResize(string name)
    {
        var bytes = TestImages.Bytes(name);
        var format = name.EndsWith(".jpg", StringComparison.Ordinal) ? FrameFormat.Jpeg : FrameFormat.Png;
        using var decoder = new FrameDecoder();
        var tensor = new float[decoder.Options.TensorLength];

        var info = decoder.Decode(bytes, new FrameDescriptor(format), tensor);
        var decoded = ImageTensor.ToInterleaved(tensor, 512, 512);

        // Reference: crop the centred square first, then resize (the decoder resizes, then crops, so
        // the two sample grids differ by up to half a source pixel when upscaling: ~35 dB, not ∞).
        var reference = ReferenceCenterCrop(name, 512, 512);
        var psnr = ImageTensor.Psnr(decoded, reference);
        output.WriteLine($"{name}: {info.Width}x{info.Height} → 512x512, PSNR vs reference {psnr:F1} dB");

        using var original = Cv2.ImRead(TestImages.PathOf(name));
        Assert.Equal(new FrameDescriptor(format, original.Width, original.Height), info);
        Assert.True(psnr > 33, $"PSNR {psnr:F1} dB");
    }

    [Fact]
    public void Decode_SameSizePng_IsLossless()
    {
        var (rgb, width, height) = TestImages.Rgb("astronaut.png");
        using var decoder = new FrameDecoder();
        var tensor = new float[decoder.Options.TensorLength];

        decoder.Decode(TestImages.Bytes("astronaut.png"), FrameDescriptor.Png, tensor);

        Assert.Equal((512, 512), (width, height));
        Assert.Equal(rgb, ImageTensor.ToInterleaved(tensor, 512, 512));
    }

    [Theory]
    [InlineData(FrameFormat.Rgb24)]
    [InlineData(FrameFormat.Bgr24)]
    public void Raw_PaddedStride_RoundTripsExactly(FrameFormat format)
    {
        const int w = 512, h = 512, stride = (w * 3) + 13;
        var (rgb, _, _) = TestImages.Rgb("astronaut.png");
        var packed = format == FrameFormat.Bgr24 ? SwapRb(rgb) : rgb;
        var padded = new byte[stride * h];
        Array.Fill(padded, (byte)0xAB);
        for (var y = 0; y < h; y++)
        {
            packed.AsSpan(y * w * 3, w * 3).CopyTo(padded.AsSpan(y * stride));
        }

        using var decoder = new FrameDecoder();
        using var encoder = new FrameEncoder();
        var tensor = new float[decoder.Options.TensorLength];
        var info = decoder.Decode(padded, new FrameDescriptor(format, w, h, stride), tensor);
        var encoded = encoder.Encode(tensor, w, h, new FrameEncoding { Format = format });

        Assert.Equal(new FrameDescriptor(format, w, h, stride), info);
        Assert.Equal(new FrameDescriptor(format, w, h, w * 3), encoded.Descriptor);
        Assert.Equal(packed, encoded.Data.ToArray());

        // The tensor is R, G, B whichever order came in.
        Assert.Equal(rgb, ImageTensor.ToInterleaved(tensor, w, h));
    }

    [Fact]
    public void Raw_StrideAndChannelOrder_DoNotChangeTheResizedTensor()
    {
        var (rgb, w, h) = TestImages.Rgb("rocket.jpg");
        var stride = (w * 3) + 64;
        var padded = new byte[stride * h];
        var bgr = SwapRb(rgb);
        var paddedBgr = new byte[stride * h];
        for (var y = 0; y < h; y++)
        {
            rgb.AsSpan(y * w * 3, w * 3).CopyTo(padded.AsSpan(y * stride));
            bgr.AsSpan(y * w * 3, w * 3).CopyTo(paddedBgr.AsSpan(y * stride));
        }

        using var decoder = new FrameDecoder();
        var packedTensor = new float[decoder.Options.TensorLength];
        var paddedTensor = new float[decoder.Options.TensorLength];
        var bgrTensor = new float[decoder.Options.TensorLength];
        decoder.Decode(rgb, FrameDescriptor.Rgb24(w, h), packedTensor);
        decoder.Decode(padded, FrameDescriptor.Rgb24(w, h, stride), paddedTensor);
        decoder.Decode(paddedBgr, FrameDescriptor.Bgr24(w, h, stride), bgrTensor);

        Assert.Equal(packedTensor, paddedTensor);
        Assert.Equal(packedTensor, bgrTensor);
        Assert.True(ImageTensor.Psnr(ImageTensor.ToInterleaved(packedTensor, 512, 512), ReferenceCenterCrop("rocket.jpg", 512, 512)) > 35);
    }

    [Fact]
    public void Pad_Has_Bars_And_CenterCrop_Has_None()
    {
        // chelsea.png is 451x300: padded into 512x512 the picture is 512x341 with 85 rows above.
        var bytes = TestImages.Bytes("chelsea.png");
        using var padDecoder = new FrameDecoder(new FrameDecoderOptions { Fit = FitMode.Pad });
        using var cropDecoder = new FrameDecoder(new FrameDecoderOptions { Fit = FitMode.CenterCrop });
        var padded = new float[512 * 512 * 3];
        var cropped = new float[512 * 512 * 3];

        padDecoder.Decode(bytes, FrameDescriptor.Png, padded);
        cropDecoder.Decode(bytes, FrameDescriptor.Png, cropped);

        var contentHeight = (int)Math.Round(300 * 512.0 / 451);
        var top = (512 - contentHeight) / 2;
        Assert.Equal(341, contentHeight);
        Assert.Equal(85, top);
        for (var y = 0; y < 512; y++)
        {
            var isBar = y < top || y >= top + contentHeight;
            Assert.True(isBar == RowIs(padded, y, -1f), $"padded row {y}: expected {(isBar ? "bar" : "picture")}");
            Assert.False(RowIs(cropped, y, -1f), $"cropped row {y} is a bar");
        }

        for (var x = 0; x < 512; x++)
        {
            Assert.False(ColumnIs(padded, x, -1f), $"padded column {x} is a bar");
            Assert.False(ColumnIs(cropped, x, -1f), $"cropped column {x} is a bar");
        }

        // The picture part of the padded tensor is the whole image resized to 512x341.
        using var source = Cv2.ImRead(TestImages.PathOf("chelsea.png"));
        using var resized = new Mat();
        Cv2.Resize(source, resized, new Size(512, contentHeight), 0, 0, InterpolationFlags.Linear);
        using var rgb = new Mat();
        Cv2.CvtColor(resized, rgb, ColorConversionCodes.BGR2RGB);
        var picture = ImageTensor.ToInterleaved(padded, 512, 512).AsSpan(top * 512 * 3, contentHeight * 512 * 3);
        Assert.Equal(TestImages.Pixels(rgb), picture.ToArray());
    }

    [Fact]
    public void Pad_UsesPadLevel_AndStretch_MatchesPlainResize()
    {
        var bytes = TestImages.Bytes("coffee.png");
        using var padDecoder = new FrameDecoder(new FrameDecoderOptions { Fit = FitMode.Pad, PadLevel = 128, Width = 256, Height = 256 });
        using var stretchDecoder = new FrameDecoder(new FrameDecoderOptions { Fit = FitMode.Stretch, Width = 320, Height = 192 });
        var padded = new float[256 * 256 * 3];
        var stretched = new float[320 * 192 * 3];

        padDecoder.Decode(bytes, FrameDescriptor.Png, padded);
        stretchDecoder.Decode(bytes, FrameDescriptor.Png, stretched);

        // 600x400 into 256x256 → 256x171 picture, 42 rows of grey 128 above.
        Assert.True(RowIs(padded, 0, (128 * 2 / 255f) - 1));
        Assert.True(RowIs(padded, 41, (128 * 2 / 255f) - 1));
        Assert.False(RowIs(padded, 42, (128 * 2 / 255f) - 1));

        using var source = Cv2.ImRead(TestImages.PathOf("coffee.png"));
        using var resized = new Mat();
        Cv2.Resize(source, resized, new Size(320, 192), 0, 0, InterpolationFlags.Area);
        using var rgb = new Mat();
        Cv2.CvtColor(resized, rgb, ColorConversionCodes.BGR2RGB);
        Assert.Equal(TestImages.Pixels(rgb), ImageTensor.ToInterleaved(stretched, 320, 192));
    }

    [Fact]
    public void LargeJpeg_FastDownscale_StaysCloseToFullDecode()
    {
        // A 1600x1200 JPEG into 256x256: libjpeg decodes at 1/4 (400x300) and the area resize finishes.
        using var source = Cv2.ImRead(TestImages.PathOf("coffee.png"));
        using var big = new Mat();
        Cv2.Resize(source, big, new Size(1600, 1200), 0, 0, InterpolationFlags.Cubic);
        Cv2.ImEncode(".jpg", big, out var jpeg, [(int)ImwriteFlags.JpegQuality, 95]);

        using var fast = new FrameDecoder(new FrameDecoderOptions { Width = 256, Height = 256 });
        using var full = new FrameDecoder(new FrameDecoderOptions { Width = 256, Height = 256, FastJpegDownscale = false });
        var a = new float[256 * 256 * 3];
        var b = new float[256 * 256 * 3];
        fast.Decode(jpeg, FrameDescriptor.Jpeg, a);
        full.Decode(jpeg, FrameDescriptor.Jpeg, b);

        var psnr = ImageTensor.Psnr(a, b);
        output.WriteLine($"fast vs full JPEG decode: {psnr:F1} dB");
        Assert.True(psnr > 33, $"PSNR {psnr:F1} dB");
    }

    [Fact]
    public void DetectFormat_ReadsMagicBytes()
    {
        Assert.Equal(FrameFormat.Jpeg, FrameDecoder.DetectFormat(TestImages.Bytes("rocket.jpg")));
        Assert.Equal(FrameFormat.Png, FrameDecoder.DetectFormat(TestImages.Bytes("coffee.png")));
        Assert.Null(FrameDecoder.DetectFormat([1, 2, 3, 4, 5, 6, 7, 8, 9]));
        Assert.Null(FrameDecoder.DetectFormat([]));
    }

    [Fact]
    public void Validate_ReadsSizeFromHeaders_WithoutDecoding()
    {
        using var decoder = new FrameDecoder();
        Assert.Equal(new FrameDescriptor(FrameFormat.Jpeg, 640, 427), decoder.Validate(TestImages.Bytes("rocket.jpg"), FrameDescriptor.Jpeg));
        Assert.Equal(new FrameDescriptor(FrameFormat.Png, 451, 300), decoder.Validate(TestImages.Bytes("chelsea.png"), FrameDescriptor.Png));
        Assert.Equal(FrameDescriptor.Rgb24(4, 2, 12), decoder.Validate(new byte[24], FrameDescriptor.Rgb24(4, 2)));
    }

    [Fact]
    public void Decode_WrongDestinationLength_IsAnArgumentError()
    {
        using var decoder = new FrameDecoder();
        Assert.Throws<ArgumentException>(() => decoder.Decode(TestImages.Bytes("rocket.jpg"), FrameDescriptor.Jpeg, new float[10]));
    }

    internal static byte[] SwapRb(byte[] pixels)
    {
        var swapped = (byte[])pixels.Clone();
        for (var i = 0; i < swapped.Length; i += 3)
        {
            (swapped[i], swapped[i + 2]) = (swapped[i + 2], swapped[i]);
        }

        return swapped;
    }

    private static byte[] ReferenceCenterCrop(string name, int width, int height)
    {
        using var source = Cv2.ImRead(TestImages.PathOf(name));
        var scale = Math.Max((double)width / source.Width, (double)height / source.Height);
        var cropW = (int)Math.Round(width / scale);
        var cropH = (int)Math.Round(height / scale);
        using var crop = new Mat(source, new Rect((source.Width - cropW) / 2, (source.Height - cropH) / 2, cropW, cropH));
        using var resized = new Mat();
        var shrinking = cropW >= width && cropH >= height;
        Cv2.Resize(crop, resized, new Size(width, height), 0, 0, shrinking ? InterpolationFlags.Area : InterpolationFlags.Linear);
        using var rgb = new Mat();
        Cv2.CvtColor(resized, rgb, ColorConversionCodes.BGR2RGB);
        return TestImages.Pixels(rgb);
    }

    // Square tensors only.
    private static bool RowIs(float[] tensor, int y, float value)
    {
        var plane = tensor.Length / 3;
        var width = (int)Math.Sqrt(plane);
        for (var c = 0; c < 3; c++)
        {
            for (var x = 0; x < width; x++)
            {
                if (Math.Abs(tensor[(c * plane) + (y * width) + x] - value) > 1e-6f)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool ColumnIs(float[] tensor, int x, float value)
    {
        var plane = tensor.Length / 3;
        var width = (int)Math.Sqrt(plane);
        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < width; y++)
            {
                if (Math.Abs(tensor[(c * plane) + (y * width) + x] - value) > 1e-6f)
                {
                    return false;
                }
            }
        }

        return true;
    }
}
