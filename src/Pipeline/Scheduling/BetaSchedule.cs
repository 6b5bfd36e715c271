namespace StreamDiffusion.Pipeline.Scheduling;

/// <summary>How the training noise schedule spaces β over the training timesteps (diffusers' <c>beta_schedule</c>).</summary>
public enum BetaSchedule
{
    /// <summary><c>linear</c>: β_i evenly spaced from beta_start to beta_end.</summary>
    Linear,

    /// <summary><c>scaled_linear</c>: √β_i evenly spaced, then squared (Stable Diffusion).</summary>
    ScaledLinear,
}
