namespace StreamDiffusion.StreamHost.Tests.Faults;

/// <summary>What an armed <see cref="FaultInjector"/> does to the denoiser calls it targets.</summary>
public enum FaultKind
{
    /// <summary>Calls run normally.</summary>
    None,

    /// <summary>The call throws, as an ONNX Run that fails does.</summary>
    Throw,

    /// <summary>The call succeeds but its output holds a NaN.</summary>
    NonFinite,

    /// <summary>The call blocks until <see cref="FaultInjector.Release"/>.</summary>
    Block,

    /// <summary>The call throws <see cref="OutOfMemoryException"/>, which ends the engine worker running it.</summary>
    KillWorker,
}
