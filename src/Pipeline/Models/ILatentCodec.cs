namespace StreamDiffusion.Pipeline.Models;

/// <summary>
/// Moves images to and from the denoiser's latent space. Images are planar [B,3,H,W] in [−1,1];
/// latents are [B,4,H/8,W/8] already in the space the UNet works in (the full VAE applies its
/// scaling factor here; a tiny autoencoder needs none).
/// </summary>
public interface ILatentCodec
{
    /// <summary>Short description for logs and inspect ("vae", "taesd").</summary>
    string Name { get; }

    /// <summary>Encodes images into latents.</summary>
    void Encode(ReadOnlySpan<float> images, int batch, int height, int width, Span<float> latents);

    /// <summary>Decodes latents into images in [−1,1].</summary>
    void Decode(ReadOnlySpan<float> latents, int batch, int height, int width, Span<float> images);
}
