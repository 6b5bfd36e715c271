namespace StreamDiffusion.Pipeline.Streaming;

/// <summary>
/// The live parameters of one stream. Immutable: change them with <c>with</c> and assign the result to
/// <see cref="StreamBatchDenoiser.Settings"/>; the change applies from the next call. Arrays handed in
/// are treated as owned by the settings: do not mutate them afterwards.
/// </summary>
public sealed record StreamSettings
{
    /// <summary>
    /// The prompt's text embedding, flattened [tokens, D] (tokens = 77). The caller encodes the text;
    /// blend several prompts with <see cref="PromptBlend.Blend"/>.
    /// </summary>
    public required float[] PromptEmbedding { get; init; }

    /// <summary>
    /// The negative prompt's embedding, same length as <see cref="PromptEmbedding"/>; required by
    /// <see cref="CfgMode.Full"/> and <see cref="CfgMode.Initialize"/> (encode "" when the user gave none).
    /// </summary>
    public float[]? NegativePromptEmbedding { get; init; }

    /// <summary>
    /// Positions in the LCM grid, strictly increasing (timesteps strictly decreasing); its length is the
    /// step count n. StreamDiffusion's img2img default is [32, 45] (t = 359, 99).
    /// </summary>
    public IReadOnlyList<int> TIndexList { get; init; } = [32, 45];

    /// <summary>Guidance variant.</summary>
    public CfgMode CfgMode { get; init; } = CfgMode.None;

    /// <summary>Guidance scale g (ignored by <see cref="CfgMode.None"/>).</summary>
    public float GuidanceScale { get; init; } = 1.2f;

    /// <summary>Residual CFG δ: ε_u = δ·S (self / initialize).</summary>
    public float Delta { get; init; } = 1.0f;

    /// <summary>Noise seed (used unless <see cref="SeedBlend"/> is set).</summary>
    public long Seed { get; init; } = 2;

    /// <summary>Optional weighted blend of several seeds: η = Σ wᵢ·ηᵢ / √(Σ wᵢ²), still unit variance.</summary>
    public IReadOnlyList<WeightedSeed>? SeedBlend { get; init; }

    /// <summary>Fixed noise per stream (default) or fresh noise per call.</summary>
    public NoiseMode NoiseMode { get; init; } = NoiseMode.Fixed;

    /// <summary>
    /// Zero-latency mode (the reference's <c>use_denoising_batch = False</c>): every call runs all n
    /// steps of its own frame block back to back (n UNet calls) and emits it at once, so the output is
    /// one call old instead of n − 1, at the cost of n UNet calls per frame. Off by default (Stream Batch).
    /// </summary>
    public bool ZeroLatency { get; init; }
}
