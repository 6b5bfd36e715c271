using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Tests.LongVideo;

/// <summary>
/// A deterministic stand-in denoiser for the FIFO queue tests: per frame ε = 0.3·x + 0.05·tanh(x) +
/// 0.1·sin(t/100) + 0.5·mean(embedding); for clips (shape.Frames &gt; 1) it also adds 0.2 × the next cleaner
/// neighbour frame, so a window's result depends on which frames share it. Records every call.
/// </summary>
internal sealed class ClipProbePredictor : INoisePredictor
{
    public const int Hidden = 4;
    public const int Tokens = 77;
    public const int EmbeddingLength = Hidden * Tokens;

    private float[] _x = [];
    private float[] _neighbour = [];
    private float[] _eps = [];

    public int HiddenSize => Hidden;

    public List<LatentShape> Shapes { get; } = [];

    public List<float[]> Timesteps { get; } = [];

    public bool Record { get; set; } = true;

    /// <summary>ε for one frame given its (optional) cleaner neighbour.</summary>
    public static void Frame(ReadOnlySpan<float> x, float t, ReadOnlySpan<float> embedding, ReadOnlySpan<float> neighbour, Span<float> eps)
    {
        float mean = 0;
        foreach (var e in embedding)
        {
            mean += e;
        }

        mean /= embedding.Length;
        var bias = (0.1f * MathF.Sin(t / 100f)) + (0.5f * mean);
        for (int i = 0; i < x.Length; i++)
        {
            eps[i] = (0.3f * x[i]) + (0.05f * MathF.Tanh(x[i])) + bias + (neighbour.IsEmpty ? 0f : 0.2f * neighbour[i]);
        }
    }

    public ValueTask PredictNoiseAsync(
        ReadOnlyMemory<float> latents,
        ReadOnlyMemory<float> timesteps,
        ReadOnlyMemory<float> textEmbeddings,
        Memory<float> noise,
        LatentShape shape,
        CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (latents.Length != shape.Length || noise.Length != shape.Length || timesteps.Length != shape.TimestepCount
            || textEmbeddings.Length != shape.Batch * EmbeddingLength)
        {
            throw new InvalidOperationException("probe received inconsistent buffers");
        }

        if (Record)
        {
            Shapes.Add(shape);
            Timesteps.Add(timesteps.ToArray());
        }

        var frames = shape.Frames;
        var plane = shape.Height * shape.Width;
        var frameLength = shape.Channels * plane;
        if (_x.Length != frameLength)
        {
            _x = new float[frameLength];
            _neighbour = new float[frameLength];
            _eps = new float[frameLength];
        }

        var x = _x;
        var neighbour = _neighbour;
        var eps = _eps;
        for (int b = 0; b < shape.Batch; b++)
        {
            var embedding = textEmbeddings.Span.Slice(b * EmbeddingLength, EmbeddingLength);
            for (int f = 0; f < frames; f++)
            {
                Gather(latents.Span.Slice(b * shape.ItemLength, shape.ItemLength), f, frames, shape.Channels, plane, x);
                var hasNeighbour = f > 0;
                if (hasNeighbour)
                {
                    Gather(latents.Span.Slice(b * shape.ItemLength, shape.ItemLength), f - 1, frames, shape.Channels, plane, neighbour);
                }

                Frame(x, timesteps.Span[(b * frames) + f], embedding, hasNeighbour ? neighbour : default, eps);
                Scatter(eps, noise.Span.Slice(b * shape.ItemLength, shape.ItemLength), f, frames, shape.Channels, plane);
            }
        }

        return ValueTask.CompletedTask;
    }

    private static void Gather(ReadOnlySpan<float> item, int f, int frames, int channels, int plane, Span<float> frame)
    {
        for (int c = 0; c < channels; c++)
        {
            item.Slice(((c * frames) + f) * plane, plane).CopyTo(frame.Slice(c * plane, plane));
        }
    }

    private static void Scatter(ReadOnlySpan<float> frame, Span<float> item, int f, int frames, int channels, int plane)
    {
        for (int c = 0; c < channels; c++)
        {
            frame.Slice(c * plane, plane).CopyTo(item.Slice(((c * frames) + f) * plane, plane));
        }
    }
}
