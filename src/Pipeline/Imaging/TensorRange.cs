namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>The value range of an image tensor; 8-bit 0 and 255 map to the two ends.</summary>
public enum TensorRange
{
    /// <summary>[-1, 1]: what VAE / TAESD encoders take and decoders produce.</summary>
    MinusOneToOne = 0,

    /// <summary>[0, 1]: what CLIP-style preprocessors and some TAESD exports use.</summary>
    ZeroToOne = 1,
}
