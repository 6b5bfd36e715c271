using OpenCvSharp;
using StreamDiffusion.Pipeline.Imaging;

namespace StreamDiffusion.Pipeline.Tests.Imaging;

public class FrameValidationTests
{
    private static string Reject(byte[] data, FrameDescriptor frame, FrameDecoderOptions? options = null)
    {
        using var decoder = new FrameDecoder(options);
        var tensor = new float[decoder.Options.TensorLength];
        return Assert.Throws<FrameFormatException>(() => decoder.Decode(data, frame, tensor)).Message;
    }

    [Theory]
    [InlineData(FrameFormat.Jpeg)]
    [InlineData(FrameFormat.Png)]
    [InlineData(FrameFormat.Rgb24)]
    public void EmptyData(FrameFormat format)
    {
        Assert.Equal($"Frame data is empty (declared format {format}).", Reject([], new FrameDescriptor(format, 4, 4)));
    }

    [Fact]
    public void GarbageDeclaredAsJpeg()
    {
        byte[] garbage = [0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0, 0x11, 0x22];
        Assert.Equal(
            "Declared format Jpeg but the data does not start with the Jpeg signature (FF D8 FF); first bytes: 12 34 56 78 9A BC DE F0.",
            Reject(garbage, FrameDescriptor.Jpeg));
    }

    [Fact]
    public void PngDeclaredAsJpeg()
    {
        Assert.Equal(
            "Declared format Jpeg but the data is a Png image (signature 89 50 4E 47 0D 0A 1A 0A).",
            Reject(TestImages.Bytes("coffee.png"), FrameDescriptor.Jpeg));
    }

    [Fact]
    public void JpegDeclaredAsPng()
    {
        Assert.Equal(
            "Declared format Png but the data is a Jpeg image (signature FF D8 FF).",
            Reject(TestImages.Bytes("rocket.jpg"), FrameDescriptor.Png));
    }

    [Fact]
    public void TruncatedJpeg_FirstHalfOfRocket()
    {
        var jpeg = TestImages.Bytes("rocket.jpg");
        var half = jpeg.AsSpan(0, jpeg.Length / 2).ToArray();
        Assert.Equal(
            $"JPEG is truncated: no end-of-image marker (FF D9) at the end of the {half.Length} bytes.",
            Reject(half, FrameDescriptor.Jpeg));
    }

    [Fact]
    public void TruncatedJpeg_InsideHeaders()
    {
        var head = TestImages.Bytes("rocket.jpg").AsSpan(0, 40).ToArray();
        Assert.StartsWith("JPEG is truncated: the data ends after 40 bytes, inside the headers", Reject(head, FrameDescriptor.Jpeg), StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedPng_FirstHalf()
    {
        var png = TestImages.Bytes("chelsea.png");
        var half = png.AsSpan(0, png.Length / 2).ToArray();
        Assert.Equal($"PNG is truncated: no IEND chunk at the end of the {half.Length} bytes.", Reject(half, FrameDescriptor.Png));
    }

    [Fact]
    public void TruncatedPng_BeforeHeader()
    {
        var head = TestImages.Bytes("chelsea.png").AsSpan(0, 20).ToArray();
        Assert.Equal("PNG is truncated: 20 bytes is too short to hold the IHDR header.", Reject(head, FrameDescriptor.Png));
    }

    [Fact]
    public void Png_WithAChunkLongerThanTheData_IsRefusedBeforeDecoding()
    {
        // Found by AFL++ (scripts/fuzz.sh): 178 bytes, a valid IHDR for 16x8, then an IDAT chunk declaring 0xEF5CDB00
        // bytes. OpenCV allocated for it before reading: one decode took 4 GB and 14 s of CPU.
        var bomb = Convert.FromHexString(
            "89504E470D0A1A0A0000000D49484452000000100000000808020000004F204991EF5CDB0049444154181995C13111C0400804C0C30D152210448D0E045153A3285566EEE7D3645726157FC8A4E28BD776182E32A938792D4887" +
            "81C8A4E2E4B5201D0622930AE2B5B87425252525250000252525252525252525252525252525252525185E32A938792D488781C8A4E2E4F5201D0622938A2F5EDB61B83C887F14E8C00000006000000049454E44AE426082");
        Assert.Equal(
            "PNG is corrupt: chunk IDAT at offset 33 declares 4015840000 bytes of data but only 133 follow.",
            Reject(bomb, FrameDescriptor.Png));

        // The same shape built from a real photo: a chunk inserted after IHDR that claims more than remains.
        var png = TestImages.Bytes("chelsea.png");
        var inserted = new byte[png.Length + 12];
        png.AsSpan(0, 33).CopyTo(inserted);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(inserted.AsSpan(33), 0x7FFFFFFF);
        "teXt"u8.CopyTo(inserted.AsSpan(37));
        png.AsSpan(33).CopyTo(inserted.AsSpan(45));
        Assert.StartsWith("PNG is corrupt: chunk teXt at offset 33 declares 2147483647 bytes of data but only ", Reject(inserted, FrameDescriptor.Png), StringComparison.Ordinal);

        // A chunk type that is not four letters.
        var garbled = (byte[])png.Clone();
        garbled[37] = 0x00;
        Assert.Equal("PNG is corrupt: the bytes at offset 37 (00 43 43 50) are not a chunk type.", Reject(garbled, FrameDescriptor.Png));
    }

    [Fact]
    public void CorruptJpeg_BogusHuffmanTable()
    {
        // Structure intact (markers, lengths, EOI) but the first Huffman table's code counts are
        // impossible, so libjpeg gives up and OpenCV returns an empty image.
        var corrupt = TestImages.Bytes("rocket.jpg");
        var dht = corrupt.AsSpan().IndexOf((ReadOnlySpan<byte>)[0xFF, 0xC4]);
        Assert.True(dht > 0);
        corrupt.AsSpan(dht + 5, 16).Fill(0xFF);

        Assert.Equal($"Jpeg data is corrupt: the decoder could not decode {corrupt.Length} bytes.", Reject(corrupt, FrameDescriptor.Jpeg));
    }

    [Fact]
    public void RawWrongLength()
    {
        Assert.Equal(
            "Raw Rgb24 frame of 512x512 with stride 1536 needs stride·height = 786432 bytes; got 786431.",
            Reject(new byte[(512 * 512 * 3) - 1], FrameDescriptor.Rgb24(512, 512)));
    }

    [Fact]
    public void RawWrongLength_ThatIsReallyAJpeg_SaysSo()
    {
        var message = Reject(TestImages.Bytes("rocket.jpg"), FrameDescriptor.Bgr24(640, 427));
        Assert.EndsWith("The data looks like a Jpeg image; declare format Jpeg.", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 512)]
    [InlineData(512, 0)]
    [InlineData(-4, 4)]
    public void RawZeroSize(int width, int height)
    {
        Assert.Equal(
            $"Raw Bgr24 frame needs a positive width and height; got {width}x{height}.",
            Reject(new byte[16], FrameDescriptor.Bgr24(width, height)));
    }

    [Fact]
    public void RawOversize()
    {
        Assert.Equal(
            "Rgb24 frame is 4096x16, larger than the maximum 2048x2048.",
            Reject(new byte[4096 * 16 * 3], FrameDescriptor.Rgb24(4096, 16)));
    }

    [Fact]
    public void RawStrideTooSmall()
    {
        Assert.Equal(
            "Raw Rgb24 frame stride 1000 is smaller than width·3 = 1536 for a 512-pixel-wide frame.",
            Reject(new byte[1000 * 512], FrameDescriptor.Rgb24(512, 512, 1000)));
    }

    [Fact]
    public void EncodedOversize_RejectedFromHeader()
    {
        var options = new FrameDecoderOptions { MaxSourceWidth = 500, MaxSourceHeight = 500 };
        Assert.Equal("Png frame is 600x400, larger than the maximum 500x500.", Reject(TestImages.Bytes("coffee.png"), FrameDescriptor.Png, options));

        // A header claiming 30000x30000 with nothing behind it is refused before any decoding.
        var bomb = TestImages.Bytes("chelsea.png").AsSpan(0, 33).ToArray();
        bomb[16] = 0;
        bomb[17] = 0;
        bomb[18] = 0x75;
        bomb[19] = 0x30;
        bomb[20] = 0;
        bomb[21] = 0;
        bomb[22] = 0x75;
        bomb[23] = 0x30;
        Assert.Equal("Png frame is 30000x30000, larger than the maximum 2048x2048.", Reject(bomb, FrameDescriptor.Png));
    }

    [Fact]
    public void EncodedZeroSize()
    {
        var png = TestImages.Bytes("chelsea.png");
        png[16] = png[17] = png[18] = png[19] = 0;
        Assert.Equal("Png header declares an empty image (0x300).", Reject(png, FrameDescriptor.Png));
    }

    [Fact]
    public void UnsupportedFormat()
    {
        Assert.Equal(
            "Unsupported frame format 42; expected Jpeg, Png, Rgb24 or Bgr24.",
            Reject([1, 2, 3], new FrameDescriptor((FrameFormat)42)));
    }

    [Fact]
    public void DecoderStaysUsable_AfterBadFrames()
    {
        using var decoder = new FrameDecoder();
        var tensor = new float[decoder.Options.TensorLength];
        var jpeg = TestImages.Bytes("rocket.jpg");
        decoder.Decode(jpeg, FrameDescriptor.Jpeg, tensor);
        var first = (float[])tensor.Clone();

        Assert.Throws<FrameFormatException>(() => decoder.Decode(jpeg.AsSpan(0, 1000), FrameDescriptor.Jpeg, tensor));
        Assert.Throws<FrameFormatException>(() => decoder.Decode(new byte[7], FrameDescriptor.Rgb24(2, 2), tensor));
        decoder.Decode(jpeg, FrameDescriptor.Jpeg, tensor);

        Assert.Equal(first, tensor);
    }

    [Fact]
    public void FrameEncoding_RejectsBadQuality()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameEncoding { JpegQuality = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameEncoding { JpegQuality = 101 });
        Assert.Equal(85, new FrameEncoding().JpegQuality);
        _ = Cv2.GetVersionString();
    }
}
