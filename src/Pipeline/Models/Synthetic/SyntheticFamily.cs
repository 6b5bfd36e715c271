namespace StreamDiffusion.Pipeline.Models.Synthetic;

/// <summary>Which Stable Diffusion family a synthetic pack imitates (text width and tokenizer padding).</summary>
public enum SyntheticFamily
{
    /// <summary>SD 2.x / sd-turbo: hidden size 1024, pads with "!" (id 0), LCM scheduler config.</summary>
    SdTurbo,

    /// <summary>SD 1.5: hidden size 768, pads with "&lt;|endoftext|&gt;" (id 49407).</summary>
    Sd15,
}
