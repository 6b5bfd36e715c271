using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Batching;

/// <summary>One <see cref="DenoiserEngine"/> worker's staging buffers in front of the shared inner predictor.</summary>
internal sealed class DenoiserStaging(INoisePredictor inner, int embeddingLength) : IBatchExecutor<LatentShape, DenoiseRequest>
{
    // Grow-only; only this worker's thread touches them.
    private float[] latents = [];
    private float[] timesteps = [];
    private float[] embeddings = [];
    private float[] noise = [];

    public void Prepare(LatentShape key, int items)
    {
        GrowBuffer.Ensure(ref latents, items * key.ItemLength);
        GrowBuffer.Ensure(ref noise, items * key.ItemLength);
        GrowBuffer.Ensure(ref timesteps, items);
        GrowBuffer.Ensure(ref embeddings, items * embeddingLength);
    }

    public void Stage(DenoiseRequest request, int itemOffset)
    {
        var item = request.Key.ItemLength;
        request.Latents.Span.CopyTo(latents.AsSpan(itemOffset * item));
        request.Timesteps.Span.CopyTo(timesteps.AsSpan(itemOffset));
        request.TextEmbeddings.Span.CopyTo(embeddings.AsSpan(itemOffset * embeddingLength));
    }

    public void Run(LatentShape key, int items)
    {
        var length = items * key.ItemLength;
        var pending = inner.PredictNoiseAsync(
            latents.AsMemory(0, length),
            timesteps.AsMemory(0, items),
            embeddings.AsMemory(0, items * embeddingLength),
            noise.AsMemory(0, length),
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
        noise.AsSpan(itemOffset * item, request.Items * item).CopyTo(request.Noise.Span);
    }
}
