using System.Collections.Concurrent;
using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Scheduling;

namespace StreamDiffusion.Pipeline.Batching;

/// <summary>
/// One loaded model pack with its engines: the denoiser, text encoder and codec each behind a
/// micro-batching engine, so every stream on this model shares one session per ONNX file
/// (Triton's one-engine-per-model, many clients). Streams are created against a runtime.
/// </summary>
public sealed class ModelRuntime : IAsyncDisposable
{
    private const int PromptCacheCapacity = 128;
    private readonly ConcurrentDictionary<string, float[]> promptCache = new(StringComparer.Ordinal);
    private readonly bool ownsPack;

    public ModelRuntime(ModelPack pack, BatchingOptions? batching = null, bool ownsPack = true)
    {
        ArgumentNullException.ThrowIfNull(pack);
        Pack = pack;
        this.ownsPack = ownsPack;
        batching ??= new BatchingOptions();
        Denoiser = new DenoiserEngine(pack.Unet, batching);
        TextEncoder = new TextEncoderEngine(pack.TextEncoder, batching);
        Codec = new CodecEngine(pack.Codec, batching);
        Scheduler = LcmScheduler.FromConfig(pack.SchedulerConfig);
    }

    /// <summary>The loaded pack.</summary>
    public ModelPack Pack { get; }

    /// <summary>UNet engine (implements <see cref="INoisePredictor"/>).</summary>
    public DenoiserEngine Denoiser { get; }

    /// <summary>Text encoder engine.</summary>
    public TextEncoderEngine TextEncoder { get; }

    /// <summary>VAE/TAESD engine.</summary>
    public CodecEngine Codec { get; }

    /// <summary>LCM scheduler built from the pack's scheduler config.</summary>
    public LcmScheduler Scheduler { get; }

    /// <summary>Text embedding width.</summary>
    public int HiddenSize => Pack.HiddenSize;

    /// <summary>Length of one prompt embedding ([77, D] flattened).</summary>
    public int EmbeddingLength => TextEncoderModel.SequenceLength * Pack.HiddenSize;

    /// <summary>
    /// Tokenizes and encodes a prompt. Results are cached by text: a live prompt switch back and
    /// forth costs one encoder call per distinct prompt. The returned array must not be modified.
    /// </summary>
    public async ValueTask<float[]> EncodePromptAsync(string prompt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (promptCache.TryGetValue(prompt, out var cached))
        {
            return cached;
        }

        var ids = new long[TextEncoderModel.SequenceLength];
        Pack.Tokenizer.EncodePadded(prompt, ids);
        var embedding = await TextEncoder.EncodeAsync(ids, cancellationToken).ConfigureAwait(false);
        if (promptCache.Count >= PromptCacheCapacity)
        {
            promptCache.Clear();
        }

        promptCache[prompt] = embedding;
        return embedding;
    }

    public async ValueTask DisposeAsync()
    {
        await Denoiser.DisposeAsync().ConfigureAwait(false);
        await TextEncoder.DisposeAsync().ConfigureAwait(false);
        await Codec.DisposeAsync().ConfigureAwait(false);
        if (ownsPack)
        {
            Pack.Dispose();
        }
    }
}
