namespace StreamDiffusion.Pipeline.Models;

/// <summary>Shape of a batch of latents in NCHW order, e.g. [B, 4, 64, 64] for a 512x512 image.</summary>
public readonly record struct LatentShape(int Batch, int Channels, int Height, int Width)
{
    /// <summary>Number of floats in one latent (one batch item).</summary>
    public int ItemLength => Channels * Height * Width;

    /// <summary>Number of floats in the whole batch.</summary>
    public int Length => Batch * ItemLength;

    /// <summary>The same shape with another batch size.</summary>
    public LatentShape WithBatch(int batch) => this with { Batch = batch };
}
