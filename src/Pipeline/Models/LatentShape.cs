namespace StreamDiffusion.Pipeline.Models;

/// <summary>
/// Shape of a batch of latents in NCHW order, e.g. [B, 4, 64, 64] for a 512x512 image; for a video
/// denoiser each item is a clip [4, F, h, w] (NCFHW) with one timestep per frame.
/// </summary>
public readonly record struct LatentShape(int Batch, int Channels, int Height, int Width)
{
    private readonly int _frames;

    /// <summary>Frames per item: 1 for image latents, F for video clips (each frame has its own timestep).</summary>
    public int Frames
    {
        get => _frames < 1 ? 1 : _frames;
        init => _frames = value;
    }

    /// <summary>Number of floats in one latent (one batch item).</summary>
    public int ItemLength => Channels * Frames * Height * Width;

    /// <summary>Number of floats in the whole batch.</summary>
    public int Length => Batch * ItemLength;

    /// <summary>Number of timesteps the batch carries: one per frame of every item.</summary>
    public int TimestepCount => Batch * Frames;

    /// <summary>The same shape with another batch size.</summary>
    public LatentShape WithBatch(int batch) => this with { Batch = batch };
}
