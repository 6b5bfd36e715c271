using System.Numerics.Tensors;

namespace StreamDiffusion.Pipeline.Models;

/// <summary>The full VAE as a latent codec: scales latents by the pack's scaling factor after encode and back before decode.</summary>
public sealed class VaeCodec : ILatentCodec
{
    private readonly VaeEncoderModel _encoder;
    private readonly VaeDecoderModel _decoder;
    private readonly float _scalingFactor;

    public VaeCodec(VaeEncoderModel encoder, VaeDecoderModel decoder, float scalingFactor)
    {
        _encoder = encoder;
        _decoder = decoder;
        _scalingFactor = scalingFactor;
    }

    /// <inheritdoc />
    public string Name => "vae";

    /// <inheritdoc />
    public void Encode(ReadOnlySpan<float> images, int batch, int height, int width, Span<float> latents)
    {
        var length = batch * 4 * (height / 8) * (width / 8);
        _encoder.Encode(images, batch, height, width, latents[..length]);
        TensorPrimitives.Multiply(latents[..length], _scalingFactor, latents[..length]);
    }

    /// <inheritdoc />
    public void Decode(ReadOnlySpan<float> latents, int batch, int height, int width, Span<float> images)
    {
        var length = batch * 4 * (height / 8) * (width / 8);
        var unscaled = System.Buffers.ArrayPool<float>.Shared.Rent(length);
        try
        {
            TensorPrimitives.Divide(latents[..length], _scalingFactor, unscaled.AsSpan(0, length));
            _decoder.Decode(unscaled.AsSpan(0, length), batch, height, width, images);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(unscaled);
        }
    }
}
