namespace StreamDiffusion.Pipeline.Models.Synthetic;

/// <summary>What the synthetic VAE encoder outputs.</summary>
public enum SyntheticVaeEncoderOutput
{
    /// <summary><c>latent_parameters</c> [B,8,h,w]: mean ‖ logvar (current optimum exports).</summary>
    LatentParameters,

    /// <summary><c>latent_sample</c> [B,4,h,w]: the mean only (older exports).</summary>
    LatentSample,
}
