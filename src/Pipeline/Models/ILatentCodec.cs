using StreamDiffusion.Pipeline.Models.Onnx;

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

    /// <summary>
    /// Binds an encode of <paramref name="batch"/> images of height x width to fixed buffers once,
    /// so repeated calls create no tensors and copy nothing; null when this codec cannot bind (a
    /// float16 graph, a test double), and callers then use <see cref="Encode"/>.
    /// </summary>
    /// <param name="batch">Images per call.</param>
    /// <param name="height">Image height.</param>
    /// <param name="width">Image width.</param>
    /// <param name="images">Input: batch·3·height·width floats in [−1,1] (may be changed by a run).</param>
    /// <param name="latents">Output: batch·4·(height/8)·(width/8) floats.</param>
    ILatentCodecCall? BindEncode(int batch, int height, int width, PinnedBuffer<float> images, PinnedBuffer<float> latents) => null;

    /// <summary>Binds a decode to fixed buffers once (see <see cref="BindEncode"/>); null when this codec cannot bind.</summary>
    /// <param name="batch">Latents per call.</param>
    /// <param name="height">Image height.</param>
    /// <param name="width">Image width.</param>
    /// <param name="latents">Input: batch·4·(height/8)·(width/8) floats (may be changed by a run).</param>
    /// <param name="images">Output: batch·3·height·width floats in [−1,1].</param>
    ILatentCodecCall? BindDecode(int batch, int height, int width, PinnedBuffer<float> latents, PinnedBuffer<float> images) => null;
}
