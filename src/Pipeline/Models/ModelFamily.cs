namespace StreamDiffusion.Pipeline.Models;

/// <summary>Stable Diffusion family a pack belongs to, decided from its text embedding width.</summary>
public enum ModelFamily
{
    /// <summary>SD 1.x: CLIP ViT-L, 768-wide embeddings, pads with &lt;|endoftext|&gt;.</summary>
    Sd15,

    /// <summary>SD 2.x and sd-turbo: OpenCLIP ViT-H, 1024-wide embeddings, pads with "!".</summary>
    Sd2,
}
