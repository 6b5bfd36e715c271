using System.Diagnostics;
using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Models.Onnx;

namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>Times every call of an inner latent codec (VAE / TAESD sessions) into an <see cref="OnnxTimer"/>.</summary>
internal sealed class TimedLatentCodec(ILatentCodec inner, OnnxTimer timer) : ILatentCodec
{
    public string Name => inner.Name;

    public void Encode(ReadOnlySpan<float> images, int batch, int height, int width, Span<float> latents)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            inner.Encode(images, batch, height, width, latents);
        }
        finally
        {
            timer.Stop(start);
        }
    }

    public ILatentCodecCall? BindEncode(int batch, int height, int width, PinnedBuffer<float> images, PinnedBuffer<float> latents) =>
        inner.BindEncode(batch, height, width, images, latents) is { } call ? new TimedLatentCodecCall(call, timer) : null;

    public ILatentCodecCall? BindDecode(int batch, int height, int width, PinnedBuffer<float> latents, PinnedBuffer<float> images) =>
        inner.BindDecode(batch, height, width, latents, images) is { } call ? new TimedLatentCodecCall(call, timer) : null;

    public void Decode(ReadOnlySpan<float> latents, int batch, int height, int width, Span<float> images)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            inner.Decode(latents, batch, height, width, images);
        }
        finally
        {
            timer.Stop(start);
        }
    }
}
