using StreamDiffusion.Pipeline.Models.Onnx;

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

    /// <summary>A request over the caller's own pinned buffers, which an inline call may bind directly.</summary>
    public CodecRequest(CodecBatchKey key, int batch, PinnedBuffer<float> input, PinnedBuffer<float> output)
        : this(key, batch, input.Memory, output.Memory)
    {
        PinnedInput = input;
        PinnedOutput = output;
    }

    public ReadOnlyMemory<float> Input { get; }

    public Memory<float> Output { get; }

    /// <summary>The input's pinned buffer when the caller gave one (then <see cref="PinnedOutput"/> is set too).</summary>
    public PinnedBuffer<float>? PinnedInput { get; }

    /// <summary>The output's pinned buffer when the caller gave one.</summary>
    public PinnedBuffer<float>? PinnedOutput { get; }
}
