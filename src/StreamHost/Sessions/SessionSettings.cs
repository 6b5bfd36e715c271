using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// A session's validated parameters with every default applied. Immutable: a control message produces a new
/// instance, so a queued frame keeps the settings that were current when it arrived.
/// </summary>
public sealed record SessionSettings
{
    /// <summary>Resolved model name.</summary>
    public required string Model { get; init; }

    /// <summary>IMG2IMG or TXT2IMG (never UNSPECIFIED).</summary>
    public GenerationMode Mode { get; init; } = GenerationMode.Img2Img;

    /// <summary>Generation width in pixels, a multiple of 8.</summary>
    public int Width { get; init; }

    /// <summary>Generation height in pixels, a multiple of 8.</summary>
    public int Height { get; init; }

    /// <summary>Single prompt (used when <see cref="Prompts"/> is empty).</summary>
    public string Prompt { get; init; } = string.Empty;

    /// <summary>Weighted prompt blend; empty means <see cref="Prompt"/> alone.</summary>
    public IReadOnlyList<PromptWeight> Prompts { get; init; } = [];

    /// <summary>Negative prompt.</summary>
    public string NegativePrompt { get; init; } = string.Empty;

    /// <summary>Indices into the 50-step schedule, strictly increasing (timesteps strictly decreasing).</summary>
    public IReadOnlyList<int> TIndexList { get; init; } = SessionSettingsValidator.DefaultTIndexList;

    /// <summary>CFG flavour (never UNSPECIFIED).</summary>
    public CfgType CfgType { get; init; } = CfgType.Self;

    /// <summary>Guidance scale, 0..20.</summary>
    public float GuidanceScale { get; init; } = SessionSettingsValidator.DefaultGuidanceScale;

    /// <summary>Residual CFG delta, 0..1.</summary>
    public float Delta { get; init; } = SessionSettingsValidator.DefaultDelta;

    /// <summary>Noise seed.</summary>
    public long Seed { get; init; } = SessionSettingsValidator.DefaultSeed;

    /// <summary>Similarity filter.</summary>
    public SimilarityFilterSettings Filter { get; init; } = SimilarityFilterSettings.Disabled;

    /// <summary>Output encoding (never UNSPECIFIED).</summary>
    public OutputEncoding OutputEncoding { get; init; } = OutputEncoding.Jpeg;

    /// <summary>JPEG quality, 1..100.</summary>
    public int Quality { get; init; } = SessionSettingsValidator.DefaultQuality;

    /// <summary>The session's own input frame-rate cap (SessionConfig.max_fps); 0: only the host's cap applies.</summary>
    public double MaxFps { get; init; }
}
