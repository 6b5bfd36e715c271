namespace StreamDiffusion.Pipeline.Streaming;

/// <summary>Whether the per-block noise η_k of a stream is drawn once or on every call.</summary>
public enum NoiseMode
{
    /// <summary>η_k drawn once from the seed(s) and reused on every call: the default, for temporal stability.</summary>
    Fixed,

    /// <summary>η_k drawn afresh (from a generator seeded by the seed(s)) on every call.</summary>
    Fresh,
}
