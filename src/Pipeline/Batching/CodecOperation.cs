namespace StreamDiffusion.Pipeline.Batching;

/// <summary>Which direction a latent codec call goes; encode and decode calls are batched separately.</summary>
public enum CodecOperation
{
    /// <summary>Images [B,3,H,W] to latents [B,4,H/8,W/8].</summary>
    Encode,

    /// <summary>Latents [B,4,H/8,W/8] to images [B,3,H,W].</summary>
    Decode,
}
