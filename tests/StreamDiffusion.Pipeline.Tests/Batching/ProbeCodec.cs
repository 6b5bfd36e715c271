using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Tests.Batching;

/// <summary>A deterministic per-item latent codec that records each call.</summary>
internal sealed class ProbeCodec : ILatentCodec
{
    private readonly List<(string Operation, int Batch, int Height, int Width)> _calls = [];
    private readonly CallGate? _gate;

    public ProbeCodec(CallGate? gate = null)
    {
        _gate = gate;
    }

    public string Name => "probe";

    public IReadOnlyList<(string Operation, int Batch, int Height, int Width)> Calls
    {
        get
        {
            lock (_calls)
            {
                return [.. _calls];
            }
        }
    }

    public static int ImageLength(int height, int width) => 3 * height * width;

    public static int LatentLength(int height, int width) => 4 * (height / 8) * (width / 8);

    public void Encode(ReadOnlySpan<float> images, int batch, int height, int width, Span<float> latents)
    {
        Record("encode", batch, height, width);
        Assert.Equal(batch * ImageLength(height, width), images.Length);
        Assert.Equal(batch * LatentLength(height, width), latents.Length);
        Map(images, ImageLength(height, width), latents, LatentLength(height, width), batch, 2f);
    }

    public void Decode(ReadOnlySpan<float> latents, int batch, int height, int width, Span<float> images)
    {
        Record("decode", batch, height, width);
        Assert.Equal(batch * LatentLength(height, width), latents.Length);
        Assert.Equal(batch * ImageLength(height, width), images.Length);
        Map(latents, LatentLength(height, width), images, ImageLength(height, width), batch, -0.5f);
    }

    // Each output item depends only on the same input item.
    private static void Map(ReadOnlySpan<float> source, int sourceItem, Span<float> destination, int destinationItem, int batch, float scale)
    {
        for (var b = 0; b < batch; b++)
        {
            for (var j = 0; j < destinationItem; j++)
            {
                destination[(b * destinationItem) + j] = (source[(b * sourceItem) + ((j * 7) % sourceItem)] * scale) + (j * 0.001f);
            }
        }
    }

    private void Record(string operation, int batch, int height, int width)
    {
        lock (_calls)
        {
            _calls.Add((operation, batch, height, width));
        }

        _gate?.Enter();
    }
}
