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

    /// <summary>Threads for one operator on CPU; 0 lets ONNX Runtime decide.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>TensorRT settings, used when <see cref="Provider"/> is TensorRT.</summary>
    public TensorRTOptions TensorRT { get; init; } = new();

    /// <summary>Load the tiny autoencoder when the pack has one, and prefer it over the full VAE.</summary>
    public bool PreferTinyAutoencoder { get; init; } = true;

    /// <summary>Guidance value fed to LCM-distilled UNets through <c>timestep_cond</c> (w, before the −1 shift).</summary>
    public float TimestepCondGuidance { get; init; } = 8.0f;
}
