namespace StreamDiffusion.Pipeline.Scheduling;

/// <summary>What the denoiser's output means (diffusers' <c>prediction_type</c>).</summary>
public enum PredictionType
{
    /// <summary><c>epsilon</c>: the added noise ε (SD1.x, sd-turbo).</summary>
    Epsilon,

    /// <summary><c>v_prediction</c>: v = α·ε − σ·x₀ (SD2.x 768).</summary>
    VPrediction,

    /// <summary><c>sample</c>: the clean latent x₀ directly.</summary>
    Sample,
}
