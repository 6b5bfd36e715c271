namespace StreamDiffusion.Pipeline.Streaming;

/// <summary>One seed of a weighted seed blend.</summary>
/// <param name="Seed">Noise seed.</param>
/// <param name="Weight">Relative weight (any sign; the blend is renormalised to unit variance).</param>
public readonly record struct WeightedSeed(long Seed, float Weight);
