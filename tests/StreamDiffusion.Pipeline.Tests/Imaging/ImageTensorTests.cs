using StreamDiffusion.Pipeline.Imaging;

namespace StreamDiffusion.Pipeline.Tests.Imaging;

public class ImageTensorTests
{
    [Theory]
    [InlineData(TensorRange.MinusOneToOne)]
    [InlineData(TensorRange.ZeroToOne)]
    public void AllByteValues_RoundTripExactly(TensorRange range)
    {
        // 256 pixels x 3 channels: every level in every channel, channels shifted so they differ.
        var pixels = new byte[256 * 3];
        for (var i = 0; i < 256; i++)
        {
            pixels[3 * i] = (byte)i;
            pixels[(3 * i) + 1] = (byte)(255 - i);
            pixels[(3 * i) + 2] = (byte)((i * 7) & 255);
        }

        var tensor = ImageTensor.FromInterleaved(pixels, 16, 16, range: range);
        var back = ImageTensor.ToInterleaved(tensor, 16, 16, range: range);

        Assert.Equal(pixels, back);
    }

    [Fact]
    public void Levels_MapToRangeEnds_AndPlanesAreRgb()
    {
        byte[] pixel = [0, 255, 51];
        var signed = ImageTensor.FromInterleaved(pixel, 1, 1);
        var unit = ImageTensor.FromInterleaved(pixel, 1, 1, range: TensorRange.ZeroToOne);
        var fromBgr = ImageTensor.FromInterleaved(pixel, 1, 1, bgr: true);

        Assert.Equal(-1f, signed[0], 6);
        Assert.Equal(1f, signed[1], 6);
        Assert.Equal((51 * 2 / 255f) - 1f, signed[2], 6);
        Assert.Equal(0.2f, unit[2], 6);

        // B, G, R bytes: the R plane gets the third byte.
        Assert.Equal(signed[2], fromBgr[0], 6);
        Assert.Equal(signed[0], fromBgr[2], 6);
    }

    [Fact]
    public void ToInterleaved_SaturatesAndRounds()
    {
        // R plane values: overshoot, undershoot, NaN, and just either side of a rounding boundary.
        float[] tensor = [1.5f, -3f, float.NaN, (100.49f * 2 / 255f) - 1, (100.51f * 2 / 255f) - 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        var pixels = ImageTensor.ToInterleaved(tensor, 5, 1);

        Assert.Equal(255, pixels[0]);
        Assert.Equal(0, pixels[3]);
        Assert.Equal(0, pixels[6]);
        Assert.Equal(100, pixels[9]);
        Assert.Equal(101, pixels[12]);
    }

    [Fact]
    public void ToInterleaved_WithStride_LeavesPaddingAlone()
    {
        var tensor = new float[3 * 2 * 2];
        var destination = new byte[(10 * 1) + 6];
        Array.Fill(destination, (byte)0xEE);

        ImageTensor.ToInterleaved(tensor, 2, 2, destination, stride: 10);

        Assert.All(destination.AsSpan(0, 6).ToArray(), b => Assert.Equal(128, b));
        Assert.All(destination.AsSpan(6, 4).ToArray(), b => Assert.Equal(0xEE, b));
        Assert.All(destination.AsSpan(10, 6).ToArray(), b => Assert.Equal(128, b));
    }

    [Fact]
    public void Psnr_OfKnownOffsets_IsExact()
    {
        var a = new float[3 * 64 * 64];
        var b = new float[a.Length];
        Array.Fill(b, 0.02f);

        // MSE 0.0004 over a peak-to-peak of 2 → 10·log10(4 / 0.0004) = 40 dB.
        Assert.Equal(40.0, ImageTensor.Psnr(a, b), 3);
        Assert.Equal(double.PositiveInfinity, ImageTensor.Psnr(a, a));

        var x = new byte[300];
        var y = Enumerable.Repeat((byte)1, 300).ToArray();
        Assert.Equal(10 * Math.Log10(255.0 * 255.0), ImageTensor.Psnr(x, y), 6);
    }

    [Fact]
    public void Psnr_RejectsDifferentLengths()
    {
        Assert.Throws<ArgumentException>(() => ImageTensor.Psnr(new float[3], new float[4]));
    }
}
