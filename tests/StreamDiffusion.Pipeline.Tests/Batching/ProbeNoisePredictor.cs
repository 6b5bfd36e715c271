using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Tests.Batching;

/// <summary>
/// A deterministic stand-in for the UNet: ε for each item depends only on that item's latent,
/// timestep and embedding, so a batched call must give bitwise the same ε as a call alone.
/// Records every call's shape and how many calls were inside it at once, and can be told to throw once.
/// </summary>
internal sealed class ProbeNoisePredictor : INoisePredictor
{
    public const int Hidden = 8;
    public const int EmbeddingLength = TextEncoderModel.SequenceLength * Hidden;

    private readonly List<LatentShape> _calls = [];
    private Exception? _throwNext;
    private int _inside;
    private int _maxInside;

    public ProbeNoisePredictor(CallGate? gate = null)
    {
        Gate = gate;
    }

    public int HiddenSize => Hidden;

    public CallGate? Gate { get; }

    /// <summary>Shapes of the calls so far, in order (Batch = items in the call).</summary>
    public IReadOnlyList<LatentShape> Calls
    {
        get
        {
            lock (_calls)
            {
                return [.. _calls];
            }
        }
    }

    /// <summary>Most calls that were inside the predictor at the same time.</summary>
    public int MaxConcurrentCalls => Volatile.Read(ref _maxInside);

    public void ThrowOnNextCall(Exception error) => Volatile.Write(ref _throwNext, error);

    public ValueTask PredictNoiseAsync(
        ReadOnlyMemory<float> latents,
        ReadOnlyMemory<float> timesteps,
        ReadOnlyMemory<float> textEmbeddings,
        Memory<float> noise,
        LatentShape shape,
        CancellationToken cancellationToken = default)
    {
        lock (_calls)
        {
            _calls.Add(shape);
        }

        // Decide at entry whether this call fails, so a call already held at the gate is not the
        // one that picks up a failure armed after it started.
        var error = Interlocked.Exchange(ref _throwNext, null);
        var now = Interlocked.Increment(ref _inside);
        for (var seen = Volatile.Read(ref _maxInside); now > seen; seen = Volatile.Read(ref _maxInside))
        {
            Interlocked.CompareExchange(ref _maxInside, now, seen);
        }

        try
        {
            Gate?.Enter();
            if (error is not null)
            {
                throw error;
            }

            Assert.Equal(shape.Length, latents.Length);
            Assert.Equal(shape.Length, noise.Length);
            Assert.Equal(shape.Batch, timesteps.Length);
            Assert.Equal(shape.Batch * EmbeddingLength, textEmbeddings.Length);
            Compute(latents.Span, timesteps.Span, textEmbeddings.Span, noise.Span, shape);
            return ValueTask.CompletedTask;
        }
        finally
        {
            Interlocked.Decrement(ref _inside);
        }
    }

    private static void Compute(ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<float> embeddings, Span<float> noise, LatentShape shape)
    {
        var item = shape.ItemLength;
        for (var b = 0; b < shape.Batch; b++)
        {
            var embedding = embeddings.Slice(b * EmbeddingLength, EmbeddingLength);
            for (var j = 0; j < item; j++)
            {
                var x = latents[(b * item) + j];
                noise[(b * item) + j] = MathF.Sin(x * 3.1f) + (timesteps[b] * 0.001f) + (embedding[(j * 31) % EmbeddingLength] * 0.25f) + ((j % 7) * 0.01f);
            }
        }
    }
}
