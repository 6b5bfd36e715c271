using StreamDiffusion.Pipeline.Imaging;

namespace StreamDiffusion.Pipeline.Streaming;

/// <summary>A live change to a running stream; null fields keep their current value. Applies from the next frame.</summary>
public sealed record StreamUpdate
{
    public string? Prompt { get; init; }

    public IReadOnlyList<WeightedPrompt>? Prompts { get; init; }

    public string? NegativePrompt { get; init; }

    public IReadOnlyList<int>? TIndexList { get; init; }

    public CfgMode? Cfg { get; init; }

    public float? Guidance { get; init; }

    public float? Delta { get; init; }

    public long? Seed { get; init; }

    public IReadOnlyList<WeightedSeed>? SeedBlend { get; init; }

    public SimilarityFilterSettings? Filter { get; init; }

    public FrameEncoding? Output { get; init; }

    /// <summary>The options after this update (not yet validated).</summary>
    public ImageStreamOptions ApplyTo(ImageStreamOptions current)
    {
        ArgumentNullException.ThrowIfNull(current);
        return current with
        {
            // A single prompt replaces a blend and a blend replaces a single prompt.
            Prompt = Prompt ?? current.Prompt,
            Prompts = Prompt is not null ? Prompts : Prompts ?? current.Prompts,
            NegativePrompt = NegativePrompt ?? current.NegativePrompt,
            TIndexList = TIndexList ?? current.TIndexList,
            Cfg = Cfg ?? current.Cfg,
            Guidance = Guidance ?? current.Guidance,
            Delta = Delta ?? current.Delta,
            Seed = Seed ?? current.Seed,
            SeedBlend = Seed is not null ? SeedBlend : SeedBlend ?? current.SeedBlend,
            Filter = Filter ?? current.Filter,
            Output = Output ?? current.Output,
        };
    }
}
