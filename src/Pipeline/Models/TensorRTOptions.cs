namespace StreamDiffusion.Pipeline.Models;

/// <summary>
/// TensorRT settings (DESIGN.md section 3): fp16 engines, engine and timing caches on disk keyed by
/// model and shape, and static profiles for the configured batch and resolution so no engine is
/// rebuilt while streams run.
/// </summary>
public sealed record TensorRTOptions
{
    /// <summary>Build fp16 engines.</summary>
    public bool Fp16 { get; init; } = true;

    /// <summary>Folder for serialized engines and the timing cache; one subfolder per model file hash.</summary>
    public string CachePath { get; init; } = Path.Combine(Path.GetTempPath(), "streamdiffusion-trt");

    /// <summary>Largest UNet batch the engine is built for (n·f items, doubled for full CFG).</summary>
    public int MaxBatch { get; init; } = 4;

    /// <summary>Image size (pixels, square) the static profile is built for.</summary>
    public int ImageSize { get; init; } = 512;

    /// <summary>Workspace limit in bytes handed to TensorRT.</summary>
    public long MaxWorkspaceBytes { get; init; } = 4L << 30;
}
