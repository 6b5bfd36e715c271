using Microsoft.ML.OnnxRuntime;

namespace StreamDiffusion.Pipeline.Models.Onnx;

/// <summary>
/// ONNX Runtime's process-wide intra-op pool (<see cref="CpuThreadPools.Global"/>). It can only be
/// made while the process has no ONNX Runtime environment yet, so the first session that asks for it
/// creates the environment with it; every later such session shares it.
/// </summary>
internal static class OrtGlobalThreadPool
{
    private static readonly Lock s_gate = new();

    // Kept alive with the environment: the native environment was created from these options.
    private static OrtThreadingOptions? s_threading;

    /// <summary>Creates the environment with global pools unless this class already did.</summary>
    /// <exception cref="ModelPackException">ONNX Runtime was already in use without global pools.</exception>
    public static void Ensure(ModelPackOptions options)
    {
        lock (s_gate)
        {
            if (s_threading is not null)
            {
                return;
            }

            var threading = new OrtThreadingOptions
            {
                GlobalIntraOpNumThreads = Math.Max(0, options.IntraOpThreads),
                GlobalInterOpNumThreads = 1,
                GlobalSpinControl = options.AllowSpinning,
            };
            var creation = new EnvironmentCreationOptions { threadOptions = threading };
            try
            {
                OrtEnv.CreateInstanceWithOptions(ref creation);
            }
            catch (OnnxRuntimeException ex)
            {
                threading.Dispose();
                throw new ModelPackException(
                    "ThreadPools=Global needs the ONNX Runtime environment to be created with global thread pools, " +
                    $"but this process already used ONNX Runtime without them; load the first model with ThreadPools=Global or use PerSession ({ex.Message})",
                    ex);
            }

            s_threading = threading;
        }
    }
}
