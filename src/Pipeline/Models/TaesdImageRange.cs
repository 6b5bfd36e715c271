namespace StreamDiffusion.Pipeline.Models;

/// <summary>The pixel range a tiny autoencoder's graphs take and return.</summary>
public enum TaesdImageRange
{
    /// <summary>Decide from the pack (see <see cref="TaesdRangeDetector"/>).</summary>
    Auto,

    /// <summary>[0, 1]: the original TAESD.</summary>
    ZeroToOne,

    /// <summary>[−1, 1]: diffusers' <c>AutoencoderTiny</c> and exports of it.</summary>
    MinusOneToOne,
}
