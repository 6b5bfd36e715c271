using System.Diagnostics;
using StreamDiffusion.Pipeline.Models;

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
