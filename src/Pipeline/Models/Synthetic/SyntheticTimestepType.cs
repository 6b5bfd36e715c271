namespace StreamDiffusion.Pipeline.Models.Synthetic;

/// <summary>Element type of the UNet's <c>timestep</c> input.</summary>
public enum SyntheticTimestepType
{
    /// <summary>float32 (optimum fp32 export).</summary>
    Float32,

    /// <summary>float16 (fp16 exports).</summary>
    Float16,

    /// <summary>int64 (some older exports).</summary>
    Int64,
}
