namespace StreamDiffusion.Pipeline.Models;

/// <summary>Where the CPU provider's intra-op threads live.</summary>
public enum CpuThreadPools
{
    /// <summary>Each session has its own pool (ONNX Runtime's default), with spinning as configured.</summary>
    PerSession,

    /// <summary>
    /// All sessions of the process share ONNX Runtime's global pool (<c>OrtEnv</c> created with
    /// <c>OrtThreadingOptions</c>, sessions with <c>DisablePerSessionThreads</c>). The pool is created
    /// once, by the first session that asks for it; later sessions share it whatever they ask for.
    /// </summary>
    Global,
}
