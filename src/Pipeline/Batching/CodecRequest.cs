namespace StreamDiffusion.Pipeline.Batching;

/// <summary>A caller's images (encode) or latents (decode), and where the result goes.</summary>
internal sealed class CodecRequest : BatchRequest<CodecBatchKey>
{
    public CodecRequest(CodecBatchKey key, int batch, ReadOnlyMemory<float> input, Memory<float> output)
        : base(key, batch)
    {
        Input = input;
        Output = output;
    }

    public ReadOnlyMemory<float> Input { get; }

    public Memory<float> Output { get; }
}
