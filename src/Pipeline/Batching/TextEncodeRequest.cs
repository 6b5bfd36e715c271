namespace StreamDiffusion.Pipeline.Batching;

/// <summary>A caller's id rows and where its embeddings go. All text requests share one key.</summary>
internal sealed class TextEncodeRequest : BatchRequest<int>
{
    public TextEncodeRequest(int rows, ReadOnlyMemory<long> ids, Memory<float> embeddings)
        : base(0, rows)
    {
        Ids = ids;
        Embeddings = embeddings;
    }

    public ReadOnlyMemory<long> Ids { get; }

    public Memory<float> Embeddings { get; }
}
