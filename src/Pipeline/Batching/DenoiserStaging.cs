using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Batching;

/// <summary>One <see cref="DenoiserEngine"/> worker's staging buffers in front of the shared inner predictor.</summary>
internal sealed class DenoiserStaging(INoisePredictor inner, int embeddingLength) : IBatchExecutor<LatentShape, DenoiseRequest>
{
    // Grow-only; only this worker's thread touches them.
    private float[] _latents = [];
    private float[] _timesteps = [];
    private float[] _embeddings = [];
    private float[] _noise = [];

    public void Prepare(LatentShape key, int items)
    {
        GrowBuffer.Ensure(ref _latents, items * key.ItemLength);
        GrowBuffer.Ensure(ref _noise, items * key.ItemLength);
        GrowBuffer.Ensure(ref _timesteps, items * key.Frames);
        GrowBuffer.Ensure(ref _embeddings, items * embeddingLength);
    }

    public void Stage(DenoiseRequest request, int itemOffset)
    {
        var item = request.Key.ItemLength;
        request.Latents.Span.CopyTo(_latents.AsSpan(itemOffset * item));
        request.Timesteps.Span.CopyTo(_timesteps.AsSpan(itemOffset * request.Key.Frames));
        request.TextEmbeddings.Span.CopyTo(_embeddings.AsSpan(itemOffset * embeddingLength));
    }

    public void Run(LatentShape key, int items)
    {
        var length = items * key.ItemLength;
        var pending = inner.PredictNoiseAsync(
            _latents.AsMemory(0, length),
            _timesteps.AsMemory(0, items * key.Frames),
            _embeddings.AsMemory(0, items * embeddingLength),
            _noise.AsMemory(0, length),
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
        var noise = _noise.AsSpan(itemOffset * item, request.Items * item);
        FiniteOutput.Ensure(noise, "denoiser");
        noise.CopyTo(request.Noise.Span);
    }
}
