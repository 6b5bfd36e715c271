using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Tests.Streaming;

/// <summary>A predictor whose calls complete only when the test releases them (to observe in-flight state).</summary>
internal sealed class GatedNoisePredictor : INoisePredictor
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int HiddenSize => ProbeNoisePredictor.Hidden;

    public void Release() => _gate.TrySetResult();

    public async ValueTask PredictNoiseAsync(
        ReadOnlyMemory<float> latents,
        ReadOnlyMemory<float> timesteps,
        ReadOnlyMemory<float> textEmbeddings,
        Memory<float> noise,
        LatentShape shape,
        CancellationToken cancellationToken = default)
    {
        await _gate.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        noise.Span.Clear();
    }
}
