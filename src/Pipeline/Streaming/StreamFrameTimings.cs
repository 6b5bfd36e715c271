namespace StreamDiffusion.Pipeline.Streaming;

/// <summary>Where one frame's time went, in milliseconds.</summary>
public readonly record struct StreamFrameTimings(double DecodeMs, double FilterMs, double LatentEncodeMs, double DenoiseMs, double LatentDecodeMs, double EncodeMs)
{
    /// <summary>Sum of all stages.</summary>
    public double TotalMs => DecodeMs + FilterMs + LatentEncodeMs + DenoiseMs + LatentDecodeMs + EncodeMs;
}
