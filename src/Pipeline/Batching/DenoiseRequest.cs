using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Batching;

/// <summary>A caller's latents, timesteps and embeddings, and where its ε goes.</summary>
internal sealed class DenoiseRequest : BatchRequest<LatentShape>
{
    public DenoiseRequest(LatentShape shape, ReadOnlyMemory<float> latents, ReadOnlyMemory<float> timesteps, ReadOnlyMemory<float> textEmbeddings, Memory<float> noise)
        : base(shape.WithBatch(1), shape.Batch)
    {
        Latents = latents;
        Timesteps = timesteps;
        TextEmbeddings = textEmbeddings;
        Noise = noise;
    }

    public ReadOnlyMemory<float> Latents { get; }

    public ReadOnlyMemory<float> Timesteps { get; }

    public ReadOnlyMemory<float> TextEmbeddings { get; }

    public Memory<float> Noise { get; }
}
