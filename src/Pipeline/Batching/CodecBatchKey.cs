namespace StreamDiffusion.Pipeline.Batching;

/// <summary>What codec requests must share to ride in one call: the direction and the image size.</summary>
internal readonly record struct CodecBatchKey(CodecOperation Operation, int Height, int Width)
{
    /// <summary>Floats in one image [3,H,W].</summary>
    public int ImageLength => 3 * Height * Width;

    /// <summary>Floats in one latent [4,H/8,W/8].</summary>
    public int LatentLength => 4 * (Height / 8) * (Width / 8);

    /// <summary>Floats per item going into the codec.</summary>
    public int InputLength => Operation == CodecOperation.Encode ? ImageLength : LatentLength;

    /// <summary>Floats per item coming out of the codec.</summary>
    public int OutputLength => Operation == CodecOperation.Encode ? LatentLength : ImageLength;
}
