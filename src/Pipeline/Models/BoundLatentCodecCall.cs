using System.Numerics.Tensors;
using StreamDiffusion.Pipeline.Models.Onnx;

namespace StreamDiffusion.Pipeline.Models;

/// <summary>
/// An ONNX codec graph bound to the caller's buffers, with the codec's value mapping (TAESD's
/// [−1,1] ↔ [0,1], the VAE's latent scaling factor) applied in place on the bound buffers before
/// or after the run: the same multiply-then-add the unbound path applies to its copies, so both
/// paths give the same numbers.
/// </summary>
internal sealed class BoundLatentCodecCall : ILatentCodecCall
{
    private readonly OnnxBoundCall _call;
    private readonly PinnedBuffer<float> _input;
    private readonly int _inputLength;
    private readonly (float Scale, float Offset)? _before;
    private readonly PinnedBuffer<float> _output;
    private readonly int _outputLength;
    private readonly (float Scale, float Offset)? _after;

    /// <param name="call">The bound graph.</param>
    /// <param name="input">Its input buffer; the first <paramref name="inputLength"/> values are mapped by <paramref name="before"/>.</param>
    /// <param name="inputLength">Values the call reads.</param>
    /// <param name="before">x·Scale + Offset applied to the input before the run, or null.</param>
    /// <param name="output">Its output buffer; the first <paramref name="outputLength"/> values are mapped by <paramref name="after"/>.</param>
    /// <param name="outputLength">Values the call writes.</param>
    /// <param name="after">x·Scale + Offset applied to the output after the run, or null.</param>
    public BoundLatentCodecCall(
        OnnxBoundCall call,
        PinnedBuffer<float> input,
        int inputLength,
        (float Scale, float Offset)? before,
        PinnedBuffer<float> output,
        int outputLength,
        (float Scale, float Offset)? after)
    {
        _call = call;
        _input = input;
        _inputLength = inputLength;
        _before = before;
        _output = output;
        _outputLength = outputLength;
        _after = after;
    }

    public void Run(CancellationToken cancellationToken)
    {
        if (_before is { } before)
        {
            Map(_input.Span[.._inputLength], before.Scale, before.Offset);
        }

        _call.Run(cancellationToken);
        if (_after is { } after)
        {
            Map(_output.Span[.._outputLength], after.Scale, after.Offset);
        }
    }

    public void Dispose() => _call.Dispose();

    private static void Map(Span<float> values, float scale, float offset)
    {
        TensorPrimitives.Multiply(values, scale, values);
        if (offset != 0f)
        {
            TensorPrimitives.Add(values, offset, values);
        }
    }
}
