namespace StreamDiffusion.Pipeline.LongVideo;

/// <summary>How each queue slot steps from its level to the next cleaner one.</summary>
public enum FifoSampler
{
    /// <summary>Deterministic DDIM (η = 0): x_prev = α_prev·x̂₀ + σ_prev·ε. FIFO-Diffusion's sampler.</summary>
    Ddim,

    /// <summary>
    /// LCM-distilled / turbo packs: x̂₀ by the consistency step, then re-noised to the next level with
    /// fresh noise (their ε is only trustworthy through the boundary-conditioned x̂₀).
    /// </summary>
    Lcm,
}
