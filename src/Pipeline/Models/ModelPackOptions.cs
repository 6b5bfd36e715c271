namespace StreamDiffusion.Pipeline.Models;

/// <summary>How a model pack is loaded: where it runs and how ONNX Runtime is tuned.</summary>
public sealed record ModelPackOptions
{
    /// <summary>Execution provider to run on. Default CPU.</summary>
    public ExecutionProvider Provider { get; init; } = ExecutionProvider.Cpu;

    /// <summary>
    /// When the requested provider is missing from this ONNX Runtime build, fall back to CPU with a
    /// warning instead of failing. Off by default: a GPU deployment silently running on CPU is worse
    /// than one that refuses to start.
    /// </summary>
    public bool AllowProviderFallback { get; init; }

    /// <summary>GPU ordinal for CUDA/TensorRT.</summary>
    public int DeviceId { get; init; }

    /// <summary>
    /// Threads for one operator on CPU: per session with <see cref="CpuThreadPools.PerSession"/>, for
    /// the one process-wide pool with <see cref="CpuThreadPools.Global"/>; 0 lets ONNX Runtime decide
    /// (one per physical core).
    /// </summary>
    public int IntraOpThreads { get; init; }

    /// <summary>
    /// Whether idle ONNX Runtime worker threads on the CPU provider spin waiting for work. Off by
    /// default: the UNet, the codec and the text encoder take turns on the same cores, and a pool that
    /// keeps spinning after a short codec call takes the cores from the next UNet call (issue 14).
    /// </summary>
    public bool AllowSpinning { get; init; }

    /// <summary>How the CPU provider's sessions get their threads. GPU providers are not affected.</summary>
    public CpuThreadPools ThreadPools { get; init; } = CpuThreadPools.PerSession;

    /// <summary>TensorRT settings, used when <see cref="Provider"/> is TensorRT.</summary>
    public TensorRTOptions TensorRT { get; init; } = new();

    /// <summary>The tiny autoencoder's pixel range; <see cref="TaesdImageRange.Auto"/> (default) detects it from the pack.</summary>
    public TaesdImageRange TaesdImageRange { get; init; }

    /// <summary>Load the tiny autoencoder when the pack has one, and prefer it over the full VAE.</summary>
    public bool PreferTinyAutoencoder { get; init; } = true;

    /// <summary>
    /// What LCM-distilled UNets get as <c>timestep_cond</c>: null (the default, "reference") feeds zeros,
    /// as StreamDiffusion does by passing none (<c>cond_proj</c> has no bias, so that is no guidance
    /// embedding at all); a number g feeds the guidance embedding of w = g − 1, e.g. 8.5 as diffusers'
    /// LCM pipelines ("diffusers"). See <see cref="TimestepCond.Parse"/>.
    /// </summary>
    public float? TimestepCondGuidance { get; init; }
}
