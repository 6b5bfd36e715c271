namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>Validated stochastic similarity filter settings.</summary>
/// <param name="Enabled">Whether near-identical frames may be skipped.</param>
/// <param name="Threshold">Cosine similarity above which skipping starts, 0..1.</param>
/// <param name="MaxSkipFrames">Most consecutive skips before a frame is processed anyway.</param>
public sealed record SimilarityFilterSettings(bool Enabled, float Threshold, int MaxSkipFrames)
{
    /// <summary>Filter off, with the default threshold 0.98 and max skip 10.</summary>
    public static SimilarityFilterSettings Disabled { get; } = new(false, 0.98f, 10);
}
