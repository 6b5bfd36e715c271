using System.Diagnostics;
using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Models.Onnx;

namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>Times every call of an inner noise predictor (the UNet session) into an <see cref="OnnxTimer"/>.</summary>
internal sealed class TimedNoisePredictor(INoisePredictor inner, OnnxTimer timer) : INoisePredictor
{
    public int HiddenSize => inner.HiddenSize;

    public ValueTask PredictNoiseAsync(
        ReadOnlyMemory<float> latents,
        ReadOnlyMemory<float> timesteps,
        ReadOnlyMemory<float> textEmbeddings,
        Memory<float> noise,
        LatentShape shape,
        CancellationToken cancellationToken = default)
    {
        var start = Stopwatch.GetTimestamp();
        ValueTask pending;
        try
        {
            pending = inner.PredictNoiseAsync(latents, timesteps, textEmbeddings, noise, shape, cancellationToken);
        }
        catch
        {
            timer.Stop(start);
            throw;
        }

        // The ONNX UNet completes synchronously; only an asynchronous inner predictor needs the slow path.
        if (pending.IsCompleted)
        {
            timer.Stop(start);
            return pending;
        }

        return AwaitAsync(pending, start);
    }

    public INoisePredictorCall? Bind(LatentShape shape, PinnedBuffer<float> latents, PinnedBuffer<float> timesteps, PinnedBuffer<float> textEmbeddings, PinnedBuffer<float> noise) =>
        inner.Bind(shape, latents, timesteps, textEmbeddings, noise) is { } call ? new TimedNoisePredictorCall(call, timer) : null;

    private async ValueTask AwaitAsync(ValueTask pending, long start)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        finally
        {
            timer.Stop(start);
        }
    }
}
