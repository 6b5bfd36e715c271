namespace StreamDiffusion.Pipeline.Streaming;

/// <summary>Settings of the stochastic similarity filter.</summary>
/// <param name="Enabled">Whether frames may be skipped at all.</param>
/// <param name="Threshold">Cosine similarity above which a frame may be skipped (in [0, 1]; 1 never skips): the skip probability is 0 at the threshold and rises linearly to 1 at similarity 1.</param>
/// <param name="MaxSkipFrames">Most consecutive skips before a frame is processed regardless (≥ 0).</param>
public sealed record SimilarityFilterSettings(bool Enabled = true, double Threshold = 0.98, int MaxSkipFrames = 10)
{
    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a value is out of range.</summary>
    public void Validate()
    {
        if (!(Threshold >= 0 && Threshold <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Threshold), Threshold, "The similarity threshold must lie in [0, 1].");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(MaxSkipFrames);
    }
}
