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
    private readonly ConcurrentDictionary<string, float[]> _promptCache = new(StringComparer.Ordinal);
    private readonly bool _ownsPack;

    /// <summary>Starts engines in front of the pack's own UNet, text encoder and codec; <paramref name="batching"/> defaults to <see cref="BatchingOptions.ForProvider"/> of the pack's provider.</summary>
    public ModelRuntime(ModelPack pack, BatchingOptions? batching = null, bool ownsPack = true)
        : this(pack, NotNull(pack).Unet, pack.Codec, pack.TextEncoder.Encode, batching, ownsPack)
    {
    }

    /// <summary>
    /// Starts engines in front of the given inner components instead of the pack's own (for example
    /// the pack's models wrapped in timing or tracing decorators); the pack still supplies the
    /// tokenizer, the scheduler config and the shapes. The engines never dispose the components.
    /// </summary>
    /// <param name="pack">The loaded pack.</param>
    /// <param name="denoiser">Inner noise predictor (the pack's UNet or a wrapper of it).</param>
    /// <param name="codec">Inner latent codec (the pack's codec or a wrapper of it).</param>
    /// <param name="textEncoder">Inner text encoder with the pack's hidden size.</param>
    /// <param name="batching">Batching settings of all three engines; when null, <see cref="BatchingOptions.ForProvider"/> of the pack's provider (four workers on the CPU, one on CUDA and TensorRT).</param>
    /// <param name="ownsPack">Dispose the pack with the runtime.</param>
    public ModelRuntime(ModelPack pack, INoisePredictor denoiser, ILatentCodec codec, TextEncodeFunction textEncoder, BatchingOptions? batching = null, bool ownsPack = true)
    {
        ArgumentNullException.ThrowIfNull(pack);
        ArgumentNullException.ThrowIfNull(denoiser);
        ArgumentNullException.ThrowIfNull(codec);
        ArgumentNullException.ThrowIfNull(textEncoder);
        if (denoiser.HiddenSize != pack.HiddenSize)
        {
            throw new ArgumentException($"the denoiser expects {denoiser.HiddenSize}-wide text embeddings, the pack produces {pack.HiddenSize}", nameof(denoiser));
        }

        Pack = pack;
        _ownsPack = ownsPack;
        batching ??= BatchingOptions.ForProvider(pack.Provider);
        Denoiser = new DenoiserEngine(denoiser, batching);
        TextEncoder = new TextEncoderEngine(pack.HiddenSize, textEncoder, batching);
        Codec = new CodecEngine(codec, batching);
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

    /// <summary>Why one of the engines stopped serving (see <see cref="BatchingOptions.MaxWorkerRestarts"/>); null while all serve.</summary>
    public string? FaultReason => Denoiser.FaultReason ?? Codec.FaultReason ?? TextEncoder.FaultReason;

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
        if (_promptCache.TryGetValue(prompt, out var cached))
        {
            return cached;
        }

        var ids = new long[TextEncoderModel.SequenceLength];
        Pack.Tokenizer.EncodePadded(prompt, ids);
        var embedding = await TextEncoder.EncodeAsync(ids, cancellationToken).ConfigureAwait(false);
        if (_promptCache.Count >= PromptCacheCapacity)
        {
            _promptCache.Clear();
        }

        _promptCache[prompt] = embedding;
        return embedding;
    }

    private static ModelPack NotNull(ModelPack pack)
    {
        ArgumentNullException.ThrowIfNull(pack);
        return pack;
    }

    public async ValueTask DisposeAsync()
    {
        await Denoiser.DisposeAsync().ConfigureAwait(false);
        await TextEncoder.DisposeAsync().ConfigureAwait(false);
        await Codec.DisposeAsync().ConfigureAwait(false);
        if (_ownsPack)
        {
            Pack.Dispose();
        }
    }
}
