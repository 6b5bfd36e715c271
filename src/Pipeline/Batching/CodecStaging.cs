using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Models.Onnx;

namespace StreamDiffusion.Pipeline.Batching;

/// <summary>
/// One <see cref="CodecEngine"/> worker's staging buffers in front of the shared inner codec. The
/// buffers are pinned, and each (direction, size, items) the worker runs is bound to them once
/// (<see cref="ILatentCodec.BindEncode"/>), so a call stages the callers' inputs straight into what
/// the session reads and copies the results straight out of what it wrote.
/// </summary>
internal sealed class CodecStaging(ILatentCodec inner) : IBatchExecutor<CodecBatchKey, CodecRequest>
{
    // Grow-only; only this worker's thread touches them.
    private PinnedBuffer<float>? _input;
    private PinnedBuffer<float>? _output;

    // Bound calls over the current buffers (null: the codec cannot bind; use the span calls). At most
    // one per key and item count up to MaxBatch, dropped when a buffer grows.
    private readonly Dictionary<(CodecBatchKey Key, int Items), ILatentCodecCall?> _calls = [];
    private ILatentCodecCall? _call;

    public void Prepare(CodecBatchKey key, int items)
    {
        var grew = GrowBuffer.Ensure(ref _input, items * key.InputLength) | GrowBuffer.Ensure(ref _output, items * key.OutputLength);
        if (grew)
        {
            DisposeCalls();
        }

        if (!_calls.TryGetValue((key, items), out _call))
        {
            _call = key.Operation == CodecOperation.Encode
                ? inner.BindEncode(items, key.Height, key.Width, _input!, _output!)
                : inner.BindDecode(items, key.Height, key.Width, _input!, _output!);
            _calls.Add((key, items), _call);
        }
    }

    public void Stage(CodecRequest request, int itemOffset) =>
        request.Input.Span[..(request.Items * request.Key.InputLength)].CopyTo(_input!.Span[(itemOffset * request.Key.InputLength)..]);

    public void Run(CodecBatchKey key, int items)
    {
        if (_call is not null)
        {
            _call.Run();
            return;
        }

        var source = _input!.Span[..(items * key.InputLength)];
        var destination = _output!.Span[..(items * key.OutputLength)];
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
        var output = _output!.Span.Slice(itemOffset * length, request.Items * length);
        FiniteOutput.Ensure(output, inner.Name);
        output.CopyTo(request.Output.Span);
    }

    public void Dispose() => DisposeCalls();

    private void DisposeCalls()
    {
        foreach (var call in _calls.Values)
        {
            call?.Dispose();
        }

        _calls.Clear();
        _call = null;
    }
}
