namespace StreamDiffusion.Pipeline.Streaming;

/// <summary>Classifier-free guidance variant of a stream (residual CFG, DESIGN.md section 4).</summary>
public enum CfgMode
{
    /// <summary>No guidance: ε = ε_c. n·f UNet items per call.</summary>
    None,

    /// <summary>Ordinary CFG: batch [uncond ; cond], ε = ε_u + g·(ε_c − ε_u). 2·n·f items per call.</summary>
    Full,

    /// <summary>Self-negative residual CFG: ε_u = δ·S from the stock noise S. n·f items per call.</summary>
    Self,

    /// <summary>
    /// Residual CFG initialised with a real negative: the newest block is also run with the negative
    /// prompt and its ε_u seeds the stock noise, which then propagates as in <see cref="Self"/>. (n+1)·f items per call.
    /// </summary>
    Initialize,
}
