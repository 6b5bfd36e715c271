using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Models.Onnx;

namespace StreamDiffusion.Pipeline.Batching;

/// <summary>
/// One <see cref="DenoiserEngine"/> worker's staging buffers in front of the shared inner predictor.
/// The buffers are pinned, and each latent shape and item count the worker runs is bound to them
/// once (<see cref="INoisePredictor.Bind"/>), so a call stages the callers' inputs straight into what
/// the session reads and copies ε straight out of what it wrote.
/// </summary>
internal sealed class DenoiserStaging(INoisePredictor inner, int embeddingLength) : IBatchExecutor<LatentShape, DenoiseRequest>
{
    // Grow-only; only this worker's thread touches them.
    private PinnedBuffer<float>? _latents;
    private PinnedBuffer<float>? _timesteps;
    private PinnedBuffer<float>? _embeddings;
    private PinnedBuffer<float>? _noise;

    // Bound calls over the current buffers (null: the predictor cannot bind; use the unbound call).
    // At most one per shape and item count up to MaxBatch, dropped when a buffer grows.
    private readonly Dictionary<LatentShape, INoisePredictorCall?> _calls = [];
    private INoisePredictorCall? _call;

    public void Prepare(LatentShape key, int items, DenoiseRequest? inlineRequest)
    {
        var grew = GrowBuffer.Ensure(ref _latents, items * key.ItemLength)
            | GrowBuffer.Ensure(ref _noise, items * key.ItemLength)
            | GrowBuffer.Ensure(ref _timesteps, items * key.Frames)
            | GrowBuffer.Ensure(ref _embeddings, items * embeddingLength);
        if (grew)
        {
            DisposeCalls();
        }

        var shape = key.WithBatch(items);
        if (!_calls.TryGetValue(shape, out _call))
        {
            _call = inner.Bind(shape, _latents!, _timesteps!, _embeddings!, _noise!);
            _calls.Add(shape, _call);
        }
    }

    public void Stage(DenoiseRequest request, int itemOffset)
    {
        var item = request.Key.ItemLength;
        request.Latents.Span.CopyTo(_latents!.Span[(itemOffset * item)..]);
        request.Timesteps.Span.CopyTo(_timesteps!.Span[(itemOffset * request.Key.Frames)..]);
        request.TextEmbeddings.Span.CopyTo(_embeddings!.Span[(itemOffset * embeddingLength)..]);
    }

    public bool CanAbort => _call is not null;

    public void Run(LatentShape key, int items, CancellationToken abort)
    {
        if (_call is not null)
        {
            _call.Run(abort);
            return;
        }

        var length = items * key.ItemLength;
        var pending = inner.PredictNoiseAsync(
            _latents!.Memory[..length],
            _timesteps!.Memory[..(items * key.Frames)],
            _embeddings!.Memory[..(items * embeddingLength)],
            _noise!.Memory[..length],
            key.WithBatch(items));

        // The ONNX predictor completes synchronously; an asynchronous inner one is waited for on
        // this worker's dedicated thread, which keeps the worker to one call at a time.
        if (pending.IsCompletedSuccessfully)
        {
            pending.GetAwaiter().GetResult();
        }
        else
        {
            pending.AsTask().GetAwaiter().GetResult();
        }
    }

    public void Unstage(DenoiseRequest request, int itemOffset)
    {
        var item = request.Key.ItemLength;
        var noise = _noise!.Span.Slice(itemOffset * item, request.Items * item);
        FiniteOutput.Ensure(noise, "denoiser");
        noise.CopyTo(request.Noise.Span);
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
