using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>
/// Reads what a frame claims to be without decoding it: the JPEG / PNG signature, the image size
/// from the header (so oversize frames are refused before any pixel is decoded), and whether the file
/// ends where it should (OpenCV can return a partially decoded image for a truncated JPEG).
/// </summary>
internal static class FrameSniffer
{
    // How far from the end the end marker may sit: some encoders and transports append a few padding bytes.
    private const int TailWindow = 64;

    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static ReadOnlySpan<byte> PngIend => "IEND"u8;

    /// <summary>JPEG or PNG from the leading signature, or null for anything else.</summary>
    public static FrameFormat? Detect(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        {
            return FrameFormat.Jpeg;
        }

        if (data.StartsWith(PngSignature))
        {
            return FrameFormat.Png;
        }

        return null;
    }

    /// <summary>The expected signature of a format, as text for messages.</summary>
    public static string Signature(FrameFormat format) => format == FrameFormat.Jpeg ? "FF D8 FF" : "89 50 4E 47 0D 0A 1A 0A";

    /// <summary>The first few bytes as hex, for messages.</summary>
    public static string Head(ReadOnlySpan<byte> data)
    {
        var head = data[..Math.Min(data.Length, 8)];
        return string.Join(' ', head.ToArray().Select(b => b.ToString("X2", CultureInfo.InvariantCulture)));
    }

    /// <summary>Reads the PNG size from IHDR; returns an error message, or null on success.</summary>
    public static string? ReadPngSize(ReadOnlySpan<byte> data, out int width, out int height)
    {
        width = height = 0;
        if (data.Length < 24)
        {
            return $"PNG is truncated: {data.Length} bytes is too short to hold the IHDR header.";
        }

        if (!data.Slice(12, 4).SequenceEqual("IHDR"u8))
        {
            return "PNG is corrupt: the first chunk is not IHDR.";
        }

        var w = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(16, 4));
        var h = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(20, 4));
        width = (int)Math.Min(w, int.MaxValue);
        height = (int)Math.Min(h, int.MaxValue);
        return null;
    }

    /// <summary>
    /// Walks the PNG chunk list from the signature to IEND; returns an error message, or null when every chunk's
    /// declared length fits in the data and the list reaches IEND. OpenCV's PNG reader trusts a chunk's length and
    /// allocates for it before reading: AFL++ found a 178-byte PNG whose IDAT chunk declared 0xEF5CDB00 bytes, which
    /// made one decode take 4 GB and 14 s of CPU. Checked before any decoder sees the bytes.
    /// </summary>
    public static string? CheckPngChunks(ReadOnlySpan<byte> data)
    {
        var offset = PngSignature.Length;
        while (offset + 12 <= data.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(data[offset..]);
            var type = data.Slice(offset + 4, 4);
            if (!IsChunkType(type))
            {
                return $"PNG is corrupt: the bytes at offset {offset + 4} ({Head(type)}) are not a chunk type.";
            }

            var available = data.Length - offset - 12;
            if (length > (uint)available)
            {
                return $"PNG is corrupt: chunk {Encoding.ASCII.GetString(type)} at offset {offset} declares {length} bytes of data but only {available} follow.";
            }

            if (type.SequenceEqual(PngIend))
            {
                return null;
            }

            offset += 12 + (int)length;
        }

        return "PNG is corrupt: its chunk list does not reach the IEND chunk.";
    }

    // Chunk types are four ASCII letters (PNG specification, section 5.4).
    private static bool IsChunkType(ReadOnlySpan<byte> type)
    {
        foreach (var b in type)
        {
            if (b is not ((>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Walks the JPEG marker segments up to the frame header (SOFn) and reads the size; returns an
    /// error message, or null on success.
    /// </summary>
    public static string? ReadJpegSize(ReadOnlySpan<byte> data, out int width, out int height)
    {
        width = height = 0;
        var pos = 2;
        while (true)
        {
            // Markers may be preceded by any number of 0xFF fill bytes.
            while (pos < data.Length && data[pos] == 0xFF && pos + 1 < data.Length && data[pos + 1] == 0xFF)
            {
                pos++;
            }

            if (pos + 4 > data.Length)
            {
                return $"JPEG is truncated: the data ends after {data.Length} bytes, inside the headers before the frame header (SOF marker).";
            }

            if (data[pos] != 0xFF)
            {
                return $"JPEG is corrupt: expected a marker at byte {pos} but found {data[pos]:X2}.";
            }

            var marker = data[pos + 1];
            if (marker is 0x01 or (>= 0xD0 and <= 0xD8))
            {
                pos += 2;
                continue;
            }

            if (marker is 0xD9 or 0xDA)
            {
                return "JPEG is corrupt: no frame header (SOF marker) before the image data.";
            }

            var segment = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(pos + 2, 2));
            var isFrameHeader = marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC;
            if (isFrameHeader)
            {
                if (pos + 9 > data.Length)
                {
                    return $"JPEG is truncated: the data ends after {data.Length} bytes, inside the frame header.";
                }

                height = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(pos + 5, 2));
                width = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(pos + 7, 2));
                return null;
            }

            if (segment < 2)
            {
                return $"JPEG is corrupt: marker {marker:X2} at byte {pos} has an invalid segment length {segment}.";
            }

            pos += 2 + segment;
        }
    }

    /// <summary>Whether the JPEG ends with its end-of-image marker (FF D9), allowing a little trailing padding.</summary>
    public static bool HasJpegEnd(ReadOnlySpan<byte> data) => Tail(data).LastIndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]) >= 0;

    /// <summary>Whether the PNG ends with its IEND chunk, allowing a little trailing padding.</summary>
    public static bool HasPngEnd(ReadOnlySpan<byte> data) => Tail(data).LastIndexOf(PngIend) >= 0;

    private static ReadOnlySpan<byte> Tail(ReadOnlySpan<byte> data) => data[Math.Max(0, data.Length - TailWindow)..];
}
