namespace StreamDiffusion.StreamClient.Cli;

/// <summary>The <c>--sampler</c> of <c>streamclient video</c>.</summary>
public enum VideoSamplerName
{
    /// <summary>Deterministic DDIM.</summary>
    Ddim,

    /// <summary>LCM consistency step, for LCM-distilled / turbo packs.</summary>
    Lcm,
}
