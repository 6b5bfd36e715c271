using StreamDiffusion.Pipeline.Imaging;

namespace StreamDiffusion.Pipeline.Tests.Imaging;

/// <summary>
/// The vectorised byte ↔ float conversion against a plain per-pixel re-implementation of the earlier
/// conversion (copy each byte to its plane, then multiply and add; back: multiply, add, truncate and
/// saturate). Widths cover the 16-pixel vector steps, their tails and rows narrower than one step;
/// strides leave padding; both ranges and both channel orders.
/// </summary>
public class VectorisedConversionTests
{
    public static TheoryData<int, int, int, bool, TensorRange> Shapes()
    {
        var data = new TheoryData<int, int, int, bool, TensorRange>();
        foreach (var range in new[] { TensorRange.MinusOneToOne, TensorRange.ZeroToOne })
        {
            foreach (var bgr in new[] { false, true })
            {
                data.Add(512, 8, 0, bgr, range);
                data.Add(37, 5, 37 * 3, bgr, range);
                data.Add(15, 3, (15 * 3) + 7, bgr, range);
                data.Add(33, 4, (33 * 3) + 1, bgr, range);
                data.Add(1, 2, 0, bgr, range);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FromInterleaved_EqualsPerPixelConversion(int width, int height, int stride, bool bgr, TensorRange range)
    {
        var pitch = stride == 0 ? width * 3 : stride;
        var pixels = new byte[pitch * height];
        new Random(width * 31 + height).NextBytes(pixels);
        var actual = new float[3 * width * height];

        ImageTensor.FromInterleaved(pixels, width, height, stride, actual, bgr, range);

        var expected = ReferenceFromInterleaved(pixels, width, height, pitch, bgr, range);
        for (var i = 0; i < expected.Length; i++)
        {
            // Same operations in the same order: equal to the bit, well within the 1e-6 asked for.
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6f, $"value {i}: {actual[i]} vs {expected[i]}");
            Assert.Equal(BitConverter.SingleToInt32Bits(expected[i]), BitConverter.SingleToInt32Bits(actual[i]));
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ToInterleaved_EqualsPerPixelConversion(int width, int height, int stride, bool bgr, TensorRange range)
    {
        var pitch = stride == 0 ? width * 3 : stride;
        var random = new Random(width * 17 + height);
        var tensor = new float[3 * width * height];
        for (var i = 0; i < tensor.Length; i++)
        {
            // Overshoot both ends of the range, as decoders do, plus exact levels and specials.
            tensor[i] = (i % 11) switch
            {
                0 => float.NaN,
                1 => float.PositiveInfinity,
                2 => float.NegativeInfinity,
                3 => 1e9f,
                4 => range == TensorRange.ZeroToOne ? random.Next(256) / 255f : (random.Next(256) * 2 / 255f) - 1,
                _ => (random.NextSingle() * 3f) - 1.5f,
            };
        }

        var actual = Enumerable.Repeat((byte)0xAB, pitch * height).ToArray();
        var expected = (byte[])actual.Clone();

        ImageTensor.ToInterleaved(tensor, width, height, actual, stride, bgr, range);
        ReferenceToInterleaved(tensor, width, height, expected, pitch, bgr, range);

        // Within 1 LSB is what was asked; the kernels match exactly (padding bytes untouched too).
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void FrameDecoder_RawFrame_EqualsPerPixelConversion_InBothRanges()
    {
        var (rgb, w, h) = TestImages.Rgb("astronaut.png");
        foreach (var range in new[] { TensorRange.MinusOneToOne, TensorRange.ZeroToOne })
        {
            using var decoder = new FrameDecoder(new FrameDecoderOptions { Width = w, Height = h, Range = range });
            var tensor = new float[decoder.Options.TensorLength];
            decoder.Decode(rgb, FrameDescriptor.Rgb24(w, h), tensor);
            Assert.Equal(ReferenceFromInterleaved(rgb, w, h, w * 3, false, range), tensor);

            decoder.Decode(rgb, new FrameDescriptor(FrameFormat.Bgr24, w, h), tensor);
            Assert.Equal(ReferenceFromInterleaved(rgb, w, h, w * 3, true, range), tensor);
        }
    }

    [Fact]
    public void FrameDecoder_PadBars_CarryThePadLevelInRange()
    {
        // A wide frame padded into a square: the bars hold the pad level mapped to the range.
        var pixels = new byte[64 * 32 * 3];
        Array.Fill(pixels, (byte)200);
        using var decoder = new FrameDecoder(new FrameDecoderOptions { Width = 64, Height = 64, Fit = FitMode.Pad, PadLevel = 128 });
        var tensor = new float[decoder.Options.TensorLength];
        decoder.Decode(pixels, FrameDescriptor.Rgb24(64, 32), tensor);

        Assert.Equal((128 * (2f / 255f)) - 1f, tensor[0]);
        Assert.Equal((200 * (2f / 255f)) - 1f, tensor[32 * 64]);
    }

    private static float[] ReferenceFromInterleaved(byte[] pixels, int width, int height, int stride, bool bgr, TensorRange range)
    {
        var plane = width * height;
        var tensor = new float[3 * plane];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    var channel = bgr ? 2 - c : c;
                    tensor[(channel * plane) + (y * width) + x] = pixels[(y * stride) + (x * 3) + c];
                }
            }
        }

        for (var i = 0; i < tensor.Length; i++)
        {
            tensor[i] = range == TensorRange.ZeroToOne ? tensor[i] * (1f / 255f) : (tensor[i] * (2f / 255f)) + -1f;
        }

        return tensor;
    }

    private static void ReferenceToInterleaved(float[] tensor, int width, int height, byte[] destination, int stride, bool bgr, TensorRange range)
    {
        var plane = width * height;
        var (scale, offset) = range == TensorRange.ZeroToOne ? (255f, 0.5f) : (127.5f, 128f);
        for (var c = 0; c < 3; c++)
        {
            var channel = bgr ? 2 - c : c;
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var value = (tensor[(c * plane) + (y * width) + x] * scale) + offset;
                    destination[(y * stride) + (x * 3) + channel] = float.IsNaN(value) ? (byte)0 : (byte)Math.Clamp(MathF.Truncate(value), 0f, 255f);
                }
            }
        }
    }
}
