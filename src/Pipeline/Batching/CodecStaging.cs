using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Models.Onnx;

namespace StreamDiffusion.Pipeline.Batching;

/// <summary>
/// One <see cref="CodecEngine"/> worker's staging buffers in front of the shared inner codec. The
/// buffers are pinned, and each (direction, size, items) the worker runs is bound to them once
/// (<see cref="ILatentCodec.BindEncode"/>), so a call stages the callers' inputs straight into what
/// the session reads and copies the results straight out of what it wrote.
/// </summary>
/// <remarks>
/// A request that runs on its caller's thread over the caller's own pinned buffers skips the staging
/// copies: the codec is bound to those buffers (a few such calls are kept, most recently used first), so the
/// session reads the caller's images and writes its latents, or the other way round. That saves two
/// image-sized copies per frame (3 MB each at 512x512). Only the inline path does it, because only there is
/// the caller certain not to read or reuse the buffers while the call runs.
/// </remarks>
internal sealed class CodecStaging(ILatentCodec inner) : IBatchExecutor<CodecBatchKey, CodecRequest>
{
    // Calls bound to callers' buffers kept per executor; each holds its buffers alive until evicted.
    private const int MaxDirectCalls = 4;

    // Grow-only; only this worker's thread touches them.
    private PinnedBuffer<float>? _input;
    private PinnedBuffer<float>? _output;

    // Bound calls over the current buffers (null: the codec cannot bind; use the span calls). At most
    // one per key and item count up to MaxBatch, dropped when a buffer grows.
    private readonly Dictionary<(CodecBatchKey Key, int Items), ILatentCodecCall?> _calls = [];
    private readonly List<DirectCall> _directCalls = [];
    private ILatentCodecCall? _call;

    // Set by Prepare for a batch bound to its inline caller's buffers: Stage and Unstage then copy nothing.
    private ILatentCodecCall? _direct;

    public bool CanAbort => _call is not null;

    public void Prepare(CodecBatchKey key, int items, CodecRequest? inlineRequest)
    {
        var grew = GrowBuffer.Ensure(ref _input, items * key.InputLength) | GrowBuffer.Ensure(ref _output, items * key.OutputLength);
        if (grew)
        {
            DisposeCalls();
        }

        if (!_calls.TryGetValue((key, items), out _call))
        {
            _call = Bind(key, items, _input!, _output!);
            _calls.Add((key, items), _call);
        }

        _direct = _call is not null && inlineRequest is { PinnedInput: { } input, PinnedOutput: { } output } && inlineRequest.Items == items
            ? DirectCallFor(key, items, input, output)
            : null;
    }

    public void Stage(CodecRequest request, int itemOffset)
    {
        if (_direct is null)
        {
            request.Input.Span[..(request.Items * request.Key.InputLength)].CopyTo(_input!.Span[(itemOffset * request.Key.InputLength)..]);
        }
    }

    public void Run(CodecBatchKey key, int items, CancellationToken abort)
    {
        if ((_direct ?? _call) is { } call)
        {
            call.Run(abort);
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
        if (_direct is not null)
        {
            FiniteOutput.Ensure(request.Output.Span[..(request.Items * length)], inner.Name);
            return;
        }

        var output = _output!.Span.Slice(itemOffset * length, request.Items * length);
        FiniteOutput.Ensure(output, inner.Name);
        output.CopyTo(request.Output.Span);
    }

    public void Dispose()
    {
        DisposeCalls();
        foreach (var direct in _directCalls)
        {
            direct.Call?.Dispose();
        }

        _directCalls.Clear();
    }

    private ILatentCodecCall? Bind(CodecBatchKey key, int items, PinnedBuffer<float> input, PinnedBuffer<float> output) =>
        key.Operation == CodecOperation.Encode
            ? inner.BindEncode(items, key.Height, key.Width, input, output)
            : inner.BindDecode(items, key.Height, key.Width, input, output);

    private ILatentCodecCall? DirectCallFor(CodecBatchKey key, int items, PinnedBuffer<float> input, PinnedBuffer<float> output)
    {
        for (var i = 0; i < _directCalls.Count; i++)
        {
            var direct = _directCalls[i];
            if (direct.Key == key && direct.Items == items && ReferenceEquals(direct.Input, input) && ReferenceEquals(direct.Output, output))
            {
                if (i != 0)
                {
                    _directCalls.RemoveAt(i);
                    _directCalls.Insert(0, direct);
                }

                return direct.Call;
            }
        }

        if (_directCalls.Count == MaxDirectCalls)
        {
            _directCalls[^1].Call?.Dispose();
            _directCalls.RemoveAt(_directCalls.Count - 1);
        }

        var created = new DirectCall(key, items, input, output, Bind(key, items, input, output));
        _directCalls.Insert(0, created);
        return created.Call;
    }

    private void DisposeCalls()
    {
        foreach (var call in _calls.Values)
        {
            call?.Dispose();
        }

        _calls.Clear();
        _call = null;
        _direct = null;
    }

    private sealed record DirectCall(CodecBatchKey Key, int Items, PinnedBuffer<float> Input, PinnedBuffer<float> Output, ILatentCodecCall? Call);
}
