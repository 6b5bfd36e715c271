namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>How the bytes of a frame are laid out on the wire.</summary>
public enum FrameFormat
{
    /// <summary>A JPEG file (baseline or progressive), 8-bit colour or greyscale.</summary>
    Jpeg = 0,

    /// <summary>A PNG file; alpha is dropped and 16-bit samples are reduced to 8 bits.</summary>
    Png = 1,

    /// <summary>Uncompressed interleaved 8-bit R, G, B rows, each <c>stride</c> bytes apart.</summary>
    Rgb24 = 2,

    /// <summary>Uncompressed interleaved 8-bit B, G, R rows (OpenCV / DirectShow order).</summary>
    Bgr24 = 3,
}
