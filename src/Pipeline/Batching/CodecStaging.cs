using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Batching;

/// <summary>One <see cref="CodecEngine"/> worker's staging buffers in front of the shared inner codec.</summary>
internal sealed class CodecStaging(ILatentCodec inner) : IBatchExecutor<CodecBatchKey, CodecRequest>
{
    // Grow-only; only this worker's thread touches them.
    private float[] _input = [];
    private float[] _output = [];

    public void Prepare(CodecBatchKey key, int items)
    {
        GrowBuffer.Ensure(ref _input, items * key.InputLength);
        GrowBuffer.Ensure(ref _output, items * key.OutputLength);
    }

    public void Stage(CodecRequest request, int itemOffset) =>
        request.Input.Span[..(request.Items * request.Key.InputLength)].CopyTo(_input.AsSpan(itemOffset * request.Key.InputLength));

    public void Run(CodecBatchKey key, int items)
    {
        var source = _input.AsSpan(0, items * key.InputLength);
        var destination = _output.AsSpan(0, items * key.OutputLength);
        if (key.Operation == CodecOperation.Encode)
        {
            inner.Encode(source, items, key.Height, key.Width, destination);
        }
        else
        {
            inner.Decode(source, items, key.Height, key.Width, destination);
        }
    }

    public void Unstage(CodecRequest request, int itemOffset)
    {
        var length = request.Key.OutputLength;
        var output = _output.AsSpan(itemOffset * length, request.Items * length);
        FiniteOutput.Ensure(output, inner.Name);
        output.CopyTo(request.Output.Span);
    }
}
