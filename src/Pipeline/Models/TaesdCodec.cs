using System.Numerics.Tensors;
using StreamDiffusion.Pipeline.Models.Onnx;

namespace StreamDiffusion.Pipeline.Models;

/// <summary>
/// A tiny autoencoder as a latent codec. Its latents need no scaling factor; its images are in
/// [0,1] (the original TAESD) or [−1,1] (diffusers' AutoencoderTiny), as <see cref="TaesdRangeDetector"/> concluded.
/// </summary>
public sealed class TaesdCodec : ILatentCodec
{
    private readonly TaesdModel _encoder;
    private readonly TaesdModel _decoder;

    public TaesdCodec(TaesdModel encoder, TaesdModel decoder, bool imagesInZeroOne)
    {
        _encoder = encoder;
        _decoder = decoder;
        ImagesInZeroOne = imagesInZeroOne;
    }

    /// <summary>True when the graphs work on images in [0,1] rather than [−1,1].</summary>
    public bool ImagesInZeroOne { get; }

    /// <summary>What the range was concluded from (<see cref="TaesdRangeDetector"/>), for <c>models inspect</c>.</summary>
    public string RangeReason { get; init; } = "given";

    /// <inheritdoc />
    public string Name => "taesd";

    /// <inheritdoc />
    public void Encode(ReadOnlySpan<float> images, int batch, int height, int width, Span<float> latents)
    {
        var length = batch * 3 * height * width;
        var latentLength = batch * 4 * (height / 8) * (width / 8);
        if (!ImagesInZeroOne)
        {
            _encoder.Run(images[..length], [batch, 3, height, width], latents[..latentLength]);
            return;
        }

        var shifted = System.Buffers.ArrayPool<float>.Shared.Rent(length);
        try
        {
            // [−1,1] → [0,1]
            TensorPrimitives.Multiply(images[..length], 0.5f, shifted.AsSpan(0, length));
            TensorPrimitives.Add(shifted.AsSpan(0, length), 0.5f, shifted.AsSpan(0, length));
            _encoder.Run(shifted.AsSpan(0, length), [batch, 3, height, width], latents[..latentLength]);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(shifted);
        }
    }

    /// <inheritdoc />
    public ILatentCodecCall? BindEncode(int batch, int height, int width, PinnedBuffer<float> images, PinnedBuffer<float> latents)
    {
        var imageLength = batch * 3 * height * width;
        var call = _encoder.Bind(images, [batch, 3, height, width], latents, [batch, 4, height / 8, width / 8]);

        // [−1,1] → [0,1] in place, as Encode does into its copy.
        return call is null ? null : new BoundLatentCodecCall(call, images, imageLength, ImagesInZeroOne ? (0.5f, 0.5f) : null, latents, 0, null);
    }

    /// <inheritdoc />
    public ILatentCodecCall? BindDecode(int batch, int height, int width, PinnedBuffer<float> latents, PinnedBuffer<float> images)
    {
        var imageLength = batch * 3 * height * width;
        var call = _decoder.Bind(latents, [batch, 4, height / 8, width / 8], images, [batch, 3, height, width]);

        // [0,1] → [−1,1] in place, as Decode does.
        return call is null ? null : new BoundLatentCodecCall(call, latents, 0, null, images, imageLength, ImagesInZeroOne ? (2f, -1f) : null);
    }

    /// <inheritdoc />
    public void Decode(ReadOnlySpan<float> latents, int batch, int height, int width, Span<float> images)
    {
        var length = batch * 3 * height * width;
        var latentLength = batch * 4 * (height / 8) * (width / 8);
        _decoder.Run(latents[..latentLength], [batch, 4, height / 8, width / 8], images[..length]);
        if (ImagesInZeroOne)
        {
            // [0,1] → [−1,1]
            TensorPrimitives.Multiply(images[..length], 2f, images[..length]);
            TensorPrimitives.Add(images[..length], -1f, images[..length]);
        }
    }
}
